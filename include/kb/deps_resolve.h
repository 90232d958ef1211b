#pragma once
// Finding the header trees of a kernel's dependencies on this machine (and fetching them):
// the side-effect half of kb/deps.h, through the Disk, Process and Environment seams.
// docs/dependencies.md describes the routes and the cache.

#include <map>
#include <string>
#include <vector>

#include "kb/deps.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb {

// How to look.
struct DepLookup {
  std::map<std::string, std::string> explicit_paths;  // --dep NAME=PATH (absolute paths)
  std::string cache_dir;  // kb's dependency cache (dep_cache_dir); "" when there is none
  bool fetch = false;     // may run pip and git, and fill the cache
  // Hash the content of every tree used (cache entries even when their stat fingerprint
  // matches, explicit trees too), as `kb deps` does; builds trust an unchanged fingerprint.
  bool full_verify = false;
  std::vector<std::string> pythons;  // interpreters to run pip with, tried in order
};

// Where kb keeps fetched header trees: <kb cache dir>/deps, beside the toolchain cache
// ($KB_CACHE_DIR, else $XDG_CACHE_HOME/kb, else $HOME/.cache/kb); "" when none is set.
std::string dep_cache_dir(const Environment& env);

// Seconds one fetch (one pip or git run) may take: $KB_FETCH_TIMEOUT, else 600. Fails when
// KB_FETCH_TIMEOUT is not a positive whole number.
Result<int> dep_fetch_timeout(const Environment& env);

// Looks up every requirement in dep_resolution_order(): --dep, CUTLASS_SRC_DIR, the cache
// (verified against the content hash it recorded; a damaged entry is removed and fetched
// again when `fetch` is set), then, with `fetch`, PyPI's nvidia-cutlass wheel of the exact
// version through pip (so pip's configuration applies: index mirrors, PIP_FIND_LINKS
// wheelhouses), then a shallow git clone of tag v<version> from $KB_CUTLASS_GIT_URL or
// NVIDIA's repository; each run is bounded by dep_fetch_timeout. A fetched tree is checked
// to be the pinned version and stored in the cache. Returns one status per requirement; a
// dependency no route provides is `missing`, with one reason per route. Fails only on an
// explicit source that is wrong: a --dep path or CUTLASS_SRC_DIR that holds no CUTLASS
// tree, or another version than the pin; a --dep for a dependency the kernel does not have;
// an invalid KB_FETCH_TIMEOUT when fetching.
Result<std::vector<DepStatus>> resolve_dependencies(const std::vector<DepRequirement>& requirements,
                                                    const DepLookup& lookup, Disk& disk,
                                                    Process& process, const Environment& env);

}  // namespace kb
