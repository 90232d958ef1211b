#include "kb/binding_scan.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(BindingScan, RegistrationMacrosOnlyAreLateBindable) {
  const char* text = R"src(#include "registration.h"
// TORCH_EXTENSION_NAME is the op namespace; see STRINGIFY(TORCH_EXTENSION_NAME) below.
/* a block comment: PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) */
TORCH_LIBRARY_EXPAND(TORCH_EXTENSION_NAME, ops) {
  ops.def("relu(Tensor! out, Tensor x) -> ()");  // "TORCH_EXTENSION_NAME" in a string
}
TORCH_LIBRARY_IMPL_EXPAND( TORCH_EXTENSION_NAME , CUDA, ops) {}
STABLE_TORCH_LIBRARY_EXPAND(
    TORCH_EXTENSION_NAME, ops) {}
STABLE_TORCH_LIBRARY_IMPL_EXPAND(TORCH_EXTENSION_NAME, CPU, ops) {}
REGISTER_EXTENSION(TORCH_EXTENSION_NAME)
)src";
  EXPECT_FALSE(other_extension_name_use(text).has_value());
}

TEST(BindingScan, NoUseAtAllIsLateBindable) {
  EXPECT_FALSE(other_extension_name_use("int main() { return 0; }\n").has_value());
  EXPECT_FALSE(other_extension_name_use("").has_value());
}

TEST(BindingScan, PybindModuleIsFoundWithItsPosition) {
  auto use = other_extension_name_use(
      "#include <torch/extension.h>\n\nPYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {}\n");
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->line, 3);
  EXPECT_EQ(use->col, 17);
  EXPECT_TRUE(use->file.empty());
}

TEST(BindingScan, StringifiedNameIsFound) {
  auto use = other_extension_name_use("const char* ns = STRINGIFY(TORCH_EXTENSION_NAME);\n");
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->line, 1);
  EXPECT_EQ(use->col, 28);
}

TEST(BindingScan, PlainTorchLibraryAndPreprocessorTestsAreFound) {
  EXPECT_TRUE(other_extension_name_use("TORCH_LIBRARY(TORCH_EXTENSION_NAME, m) {}").has_value());
  EXPECT_TRUE(other_extension_name_use("#ifdef TORCH_EXTENSION_NAME\n#endif\n").has_value());
  // The name as the second argument is not the namespace argument.
  EXPECT_TRUE(
      other_extension_name_use("TORCH_LIBRARY_EXPAND(ops, TORCH_EXTENSION_NAME)").has_value());
}

TEST(BindingScan, LongerIdentifiersAreNotTheName) {
  EXPECT_FALSE(other_extension_name_use("int MY_TORCH_EXTENSION_NAME = 1;\n").has_value());
  EXPECT_FALSE(other_extension_name_use("int TORCH_EXTENSION_NAME_LEN = 1;\n").has_value());
}

TEST(BindingScan, RawStringsEscapesAndDigitSeparatorsAreSkippedCorrectly) {
  const char* text = R"test(auto schema = R"(relu(Tensor x) -> Tensor "TORCH_EXTENSION_NAME")";
auto s2 = u8R"x(a)" TORCH_EXTENSION_NAME )x";
auto quote = "\"TORCH_EXTENSION_NAME\"";
char c = '"';
int n = 1'000;
TORCH_EXTENSION_NAME;
)test";
  auto use = other_extension_name_use(text);
  ASSERT_TRUE(use.has_value());
  EXPECT_EQ(use->line, 6);
  EXPECT_EQ(use->col, 1);
}

TEST(BindingScan, UnterminatedCommentOrStringDoesNotCrash) {
  EXPECT_FALSE(other_extension_name_use("/* TORCH_EXTENSION_NAME").has_value());
  EXPECT_FALSE(other_extension_name_use("\"TORCH_EXTENSION_NAME").has_value());
  EXPECT_FALSE(other_extension_name_use("R\"x( TORCH_EXTENSION_NAME").has_value());
}

}  // namespace
}  // namespace kb
