#include "kb/digest.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

// Expected values computed once with coreutils:
//   printf '%s' "$s" | sha256sum | xxd -r -p | base64
TEST(Digest, Sha256Base64MatchesCoreutils) {
  EXPECT_EQ(sha256_base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(sha256_base64("hello"), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  EXPECT_EQ(sha256_base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(sha256_base64("import torch\n"), "uRo7xeIGTQJaiuEiVVyWlI7FtIldU9gJxLZrcaSRUTM=");
}

TEST(Digest, Sha256HexMatchesCoreutils) {
  EXPECT_EQ(sha256_hex("import torch\n"),
            "b91a3bc5e2064d025a8ae122555c96948ec5b4895d53d809c4b66b71a4915133");
  EXPECT_EQ(sha256_raw("abc").size(), 32u);
}

TEST(Digest, HandlesBinaryBytes) {
  std::string bytes("\0\x01\xff\x7f", 4);
  EXPECT_EQ(sha256_base64(bytes).size(), 44u);
  EXPECT_NE(sha256_base64(bytes), sha256_base64(std::string("\0\x01\xff", 3)));
}

TEST(Digest, ExcludesWhatTheReferenceExcludes) {
  EXPECT_TRUE(digest_excludes("metadata.json"));
  EXPECT_TRUE(digest_excludes("metadata.json.sigstore"));
  EXPECT_TRUE(digest_excludes("__pycache__/x.cpython-311.pyc"));
  EXPECT_TRUE(digest_excludes("layers/__pycache__/notes.txt"));
  EXPECT_TRUE(digest_excludes("layers\\__pycache__\\x.py"));
  EXPECT_TRUE(digest_excludes("stale.pyc"));
  // Only the top-level metadata files are left out.
  EXPECT_FALSE(digest_excludes("sub/metadata.json"));
  EXPECT_FALSE(digest_excludes("__init__.py"));
  EXPECT_FALSE(digest_excludes("_relu_cuda_abc1234.abi3.so"));
  EXPECT_FALSE(digest_excludes("my__pycache__/x.py"));
  EXPECT_FALSE(digest_excludes("x.pyi"));
}

TEST(Digest, SortsKeysUsesSlashesAndDropsExclusions) {
  Digest d = compute_digest({
      {"z.py", "import torch\n"},
      {"layers\\a.py", "hello"},
      {"metadata.json", "{}"},
      {"__pycache__/z.cpython-311.pyc", "x"},
      {"_ops.py", ""},
  });
  EXPECT_EQ(d.algorithm, "sha256");
  ASSERT_EQ(d.files.size(), 3u);
  auto it = d.files.begin();
  EXPECT_EQ(it->first, "_ops.py");
  EXPECT_EQ(it->second, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  ++it;
  EXPECT_EQ(it->first, "layers/a.py");
  EXPECT_EQ(it->second, "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  ++it;
  EXPECT_EQ(it->first, "z.py");
  EXPECT_EQ(it->second, "uRo7xeIGTQJaiuEiVVyWlI7FtIldU9gJxLZrcaSRUTM=");
}

TEST(Digest, OrderOfInputDoesNotMatter) {
  EXPECT_EQ(compute_digest({{"a", "1"}, {"b", "2"}}), compute_digest({{"b", "2"}, {"a", "1"}}));
}

}  // namespace
}  // namespace kb
