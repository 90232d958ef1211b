#include "kb/digest.h"

#include <openssl/evp.h>

#include <array>

namespace kb {

std::string sha256_raw(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure or a broken provider; both are fatal for
  // a build tool and cannot be reported usefully, so an empty hash (which never matches
  // anything) is returned instead of aborting.
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1)
    return {};
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string sha256_base64(std::string_view bytes) {
  std::string raw = sha256_raw(bytes);
  // EVP_EncodeBlock writes 4 characters per 3 input bytes (rounded up) plus a NUL, and
  // produces the standard alphabet with '=' padding and no line breaks.
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : sha256_raw(bytes)) {
    out += k_hex[c >> 4];
    out += k_hex[c & 15];
  }
  return out;
}

namespace {

std::string with_slashes(std::string_view path) {
  std::string out(path);
  for (char& c : out)
    if (c == '\\') c = '/';
  return out;
}

}  // namespace

bool digest_excludes(std::string_view relpath) {
  std::string p = with_slashes(relpath);
  if (p == "metadata.json" || p == "metadata.json.sigstore") return true;
  if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".pyc") == 0) return true;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string_view part = std::string_view(p).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "__pycache__") return true;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return false;
}

Digest compute_digest(const std::vector<std::pair<std::string, std::string>>& files) {
  Digest d;
  for (const auto& [path, bytes] : files) {
    if (digest_excludes(path)) continue;
    d.files[with_slashes(path)] = sha256_base64(bytes);
  }
  return d;
}

}  // namespace kb
