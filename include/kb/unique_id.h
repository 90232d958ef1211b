#pragma once
// The unique id that makes a build's op namespace (_<mod>_<backend>_<uid>) differ between
// source revisions, so that two builds never collide in sys.modules or torch.ops.
//
// Precedence (the caller applies it): an id given on the command line; else the git tree
// id of HEAD (7 hex, "_dirty" when tracked files changed), as the reference does for local
// builds; else a content hash of the source set (see content_unique_id).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kb/config.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb {

// "<7 hex>" or "<7 hex>_dirty" from the output of `git rev-parse HEAD^{tree}` (surrounding
// whitespace ignored). Fails when the output is not a 40- or 64-hex object id.
Result<std::string> unique_id_from_tree(std::string_view rev_parse_output, bool dirty);

// Whether `git status --porcelain` output lists any change (any non-blank line).
bool porcelain_is_dirty(std::string_view status_output);

// The lowercase object id from `git rev-parse HEAD` output; fails unless 40 or 64 hex digits.
Result<std::string> parse_commit_id(std::string_view rev_parse_output);

// Prefix of content-hash ids. 's' and 'r' are not hex digits, so such an id can never be
// mistaken for a git-derived one.
inline constexpr std::string_view k_content_id_prefix = "src";

// "src" + the first 10 characters of lowercase, unpadded RFC 4648 base32 of a SHA-256 over
// the (path, bytes) pairs, sorted by path, each framed with its lengths. 13 characters in
// all, like the reference's random id. Used outside git: unlike a random id, it stays the
// same while the sources do, so the binding TU (the only one that sees the id) is not
// recompiled on every build.
std::string content_unique_id(std::vector<std::pair<std::string, std::string>> files);

// Paths, relative to the kernel dir, whose bytes feed content_unique_id: build.toml, every
// [torch] and [kernel.*] src entry, and torch-ext/<mod>/<f> for each of `python_files`
// (relative to torch-ext/<mod>/). Sorted, without duplicates.
std::vector<std::string> content_id_inputs(const Config& config,
                                           const std::vector<std::string>& python_files);

// content_unique_id over content_id_inputs(config, python_files), each read through `disk`
// below `kernel_dir`: the id of a kernel outside git, for both backends. Fails when one of
// those files cannot be read.
Result<std::string> content_unique_id_of(const Config& config, const std::string& kernel_dir,
                                         const std::vector<std::string>& python_files,
                                         const Disk& disk);

// What git says about a kernel directory.
struct GitState {
  std::string unique_id;  // "<7 hex of the HEAD tree>" or that + "_dirty"
  std::string commit;     // 40/64-hex HEAD commit, lowercase (metadata provenance)
  bool dirty = false;     // tracked files differ from HEAD (untracked files and submodules ignored)
};

// Runs `git -C dir rev-parse HEAD^{tree}`, `git -C dir rev-parse HEAD` and
// `git -C dir status --porcelain --untracked-files=no --ignore-submodules=all` through
// `process`. Returns nullopt when `dir` is not in a git work tree, has no commit yet, or git
// cannot be run; fails only when git answers with text that is not an object id.
Result<std::optional<GitState>> detect_git_state(const std::string& dir, Process& process,
                                                 const Environment& env);

// The note to show when the unique id fell back to a content hash (`content_id`) because no
// git can be run (`git --version` through `process` does not start): the reference would
// have used the git tree id, and the bundle's metadata gets no commit. nullopt when git runs
// (the directory is then simply not a repository with a commit).
std::optional<Error> missing_git_note(Process& process, const Environment& env,
                                      const std::string& content_id);

}  // namespace kb
