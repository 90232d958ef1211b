#include "kb/variant.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kb {
namespace {

using ::testing::HasSubstr;
using Kind = VariantName::Kind;

Version V(const char* s) { return *Version::parse(s); }

class RoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTrip, ParseThenFormatIsIdentity) {
  auto v = VariantName::parse(GetParam());
  ASSERT_TRUE(v.ok()) << format_error(v.errors().list.front());
  EXPECT_EQ(v->format(), GetParam());
  auto again = VariantName::parse(v->format());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *v);
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, RoundTrip,
    ::testing::Values(
        // torch arch, Linux (always cxx11)
        "torch211-cxx11-cu130-x86_64-linux", "torch212-cxx11-cu126-x86_64-linux",
        "torch210-cxx11-cu128-aarch64-linux", "torch29-cxx11-cu129-x86_64-linux",
        "torch212-cxx11-rocm72-x86_64-linux", "torch212-cxx11-xpu20253-x86_64-linux",
        "torch213-cxx11-xpu20260-x86_64-linux", "torch213-cxx11-cpu-aarch64-linux",
        "torch211-cxx11-tpu-x86_64-linux", "torch212-cxx11-neuron-x86_64-linux",
        "torch212-cxx11-cann82-aarch64-linux",
        // torch arch, macOS / Windows (no tag)
        "torch212-metal-aarch64-darwin", "torch212-cpu-aarch64-darwin",
        "torch27-cu124-x86_64-windows",
        // stable ABI
        "torch-stable-abi211-cu126-x86_64-linux", "torch-stable-abi210-cu130-x86_64-linux",
        "torch-stable-abi211-cpu-aarch64-darwin", "torch-stable-abi212-rocm71-x86_64-linux",
        // tvm-ffi
        "tvm-ffi01-cu126-x86_64-linux", "tvm-ffi01-cpu-aarch64-darwin",
        "tvm-ffi012-cu132-x86_64-linux",
        // noarch
        "torch-cuda", "torch-cpu", "torch-metal", "torch-rocm", "torch-xpu", "torch-tpu",
        "torch-neuron", "torch-cann"));

TEST(VariantName, ParsesFields) {
  auto v = VariantName::parse("torch211-cxx11-cu130-x86_64-linux");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, Kind::torch);
  EXPECT_EQ(v->framework, V("2.11"));
  EXPECT_EQ(v->backend, Backend::cuda);
  EXPECT_EQ(v->compute, V("13.0"));
  EXPECT_EQ(v->cpu, "x86_64");
  EXPECT_EQ(v->os, "linux");

  auto x = VariantName::parse("torch212-cxx11-xpu20253-x86_64-linux");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->backend, Backend::xpu);
  EXPECT_EQ(x->compute, V("2025.3"));

  auto s = VariantName::parse("torch-stable-abi211-cu126-x86_64-linux");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, Kind::stable_abi);
  EXPECT_EQ(s->framework, V("2.11"));
  EXPECT_EQ(s->compute, V("12.6"));

  auto t = VariantName::parse("tvm-ffi01-cu126-x86_64-linux");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind, Kind::tvm_ffi);
  EXPECT_EQ(t->framework, V("0.1"));

  auto m = VariantName::parse("torch212-metal-aarch64-darwin");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->backend, Backend::metal);
  EXPECT_FALSE(m->compute.has_value());
  EXPECT_EQ(m->os, "darwin");

  auto n = VariantName::parse("torch-rocm");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Kind::noarch);
  EXPECT_EQ(n->backend, Backend::rocm);

  auto r = VariantName::parse("torch29-cxx11-rocm64-x86_64-linux");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->framework, V("2.9"));
  EXPECT_EQ(r->compute, V("6.4"));
}

TEST(VariantName, FormatsFromFields) {
  VariantName v;
  v.kind = Kind::torch;
  v.framework = V("2.10.1").truncated(2);
  v.backend = Backend::cuda;
  v.compute = V("13.0");
  EXPECT_EQ(v.format(), "torch210-cxx11-cu130-x86_64-linux");
  v.os = "windows";
  EXPECT_EQ(v.format(), "torch210-cu130-x86_64-windows");
  v.os = "linux";
  v.kind = Kind::stable_abi;
  v.framework = V("2.11");
  EXPECT_EQ(v.format(), "torch-stable-abi211-cu130-x86_64-linux");
  v.kind = Kind::torch;
  v.framework = V("2.12");
  v.backend = Backend::rocm;
  v.compute = V("7.1");
  EXPECT_EQ(v.format(), "torch212-cxx11-rocm71-x86_64-linux");
  v.backend = Backend::cpu;
  v.compute.reset();
  v.cpu = "aarch64";
  EXPECT_EQ(v.format(), "torch212-cxx11-cpu-aarch64-linux");
  v.kind = Kind::noarch;
  v.backend = Backend::xpu;
  EXPECT_EQ(v.format(), "torch-xpu");
  // Version 2 (trailing zero dropped) still flattens to two digits.
  v.kind = Kind::torch;
  v.framework = V("2.0");
  v.backend = Backend::cpu;
  EXPECT_EQ(v.format(), "torch20-cxx11-cpu-aarch64-linux");
}

struct BadName {
  const char* name;
  const char* mentions;  // the bad part the message must name
};

class ParseFailure : public ::testing::TestWithParam<BadName> {};

TEST_P(ParseFailure, NamesTheBadPart) {
  auto v = VariantName::parse(GetParam().name);
  ASSERT_FALSE(v.ok()) << GetParam().name;
  const Error& e = v.errors().list.front();
  EXPECT_THAT(e.message, HasSubstr("invalid variant name"));
  EXPECT_THAT(e.message, HasSubstr(GetParam().mentions)) << e.message;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ParseFailure,
    ::testing::Values(BadName{"", "empty"}, BadName{"torch-universal", "\"universal\""},
                      BadName{"torch-gpu", "\"gpu\""},
                      BadName{"jax04-cu130-x86_64-linux", "\"jax04\""},
                      BadName{"torch2-cxx11-cpu-x86_64-linux", "torch version \"2\""},
                      BadName{"torchx11-cxx11-cpu-x86_64-linux", "\"x11\""},
                      BadName{"torch201-cxx11-cpu-x86_64-linux", "\"201\""},
                      BadName{"torch211-cu130-x86_64-linux", "cxx11"},
                      BadName{"torch211-cxx98-cu130-x86_64-linux", "cxx98"},
                      BadName{"torch211-cxx11-cu130-x86_64-darwin", "darwin"},
                      BadName{"torch-stable-abi211-cxx11-cu130-x86_64-linux", "cxx11"},
                      BadName{"torch211-cxx11-cuda-x86_64-linux", "\"cuda\""},
                      BadName{"torch211-cxx11-cu1-x86_64-linux", "\"cu1\""},
                      BadName{"torch211-cxx11-gpu-x86_64-linux", "\"gpu\""},
                      BadName{"torch211-cxx11-cu130-riscv64-linux", "\"riscv64\""},
                      BadName{"torch211-cxx11-cu130-x86_64-plan9", "\"plan9\""},
                      BadName{"torch211-cxx11-cu130-x86_64", "<compute>-<cpu>-<os>"},
                      BadName{"torch211-cxx11-cu130-x86_64-linux-extra",
                              "cu130-x86_64-linux-extra"},
                      BadName{"torch-stable-abi-cu130-x86_64-linux", "stable-ABI version"},
                      BadName{"torch-stable-abi2-cu130-x86_64-linux", "\"2\""},
                      BadName{"tvm-ffix-cu130-x86_64-linux", "tvm-ffi version \"x\""},
                      BadName{"torch-cuda-x86_64-linux", "noarch"}));

}  // namespace
}  // namespace kb
