#pragma once
// The bundle digest written to metadata.json "digest": base64 SHA-256 of every file of a
// variant directory, with the reference's exclusions. Pure: bytes in, strings out.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb {

// Standard base64 (with '=' padding) of the SHA-256 of `bytes`.
std::string sha256_base64(std::string_view bytes);

// Lowercase hex of the SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The raw 32-byte SHA-256 of `bytes`.
std::string sha256_raw(std::string_view bytes);

// Whether the digest leaves out `relpath` (relative to the variant directory, '/' or '\'):
// the top-level metadata.json and metadata.json.sigstore, anything with a __pycache__
// component, and *.pyc files.
bool digest_excludes(std::string_view relpath);

// The "digest" object of metadata.json: {"algorithm": "sha256", "files": {relpath: base64}}.
struct Digest {
  std::string algorithm = "sha256";
  std::map<std::string, std::string> files;  // '/'-separated relpath -> base64 hash, sorted
  bool operator==(const Digest&) const = default;
};

// Computes the digest over (relpath, bytes) pairs in any order: '\' becomes '/', excluded
// paths are dropped, keys come out sorted. A path given twice keeps its last bytes.
Digest compute_digest(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace kb
