// schedule_nvcc_steps and parse_nvcc_call on dry-run text shaped like nvcc 13's (two archs,
// kept intermediate files), and the forms that make kb run nvcc as it is.

#include "kb/nvcc_steps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/shell.h"

namespace kb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string k_keep = "/b/o/k.cu.o.steps";

// Two archs: host chain, then per arch preprocess / cicc / ptxas, fatbinary, host compile.
std::string dryrun() {
  std::string k = k_keep;
  return "#$ _NVVM_BRANCH_=nvvm\n"
         "#$ TOP=/cuda/bin/..\n"
         "#$ CICC_PATH=/cuda/bin/../nvvm/bin\n"
         "#$ PATH=/cuda/bin/../nvvm/bin:/cuda/bin:/usr/bin\n"
         "#$ SYSTEM_INCLUDES=\"-isystem\" \"/cuda/include/cccl\"  \n"
         "#$ \"/usr/bin\"/g++ -D__CUDA_ARCH_LIST__=800,900 -E -x c++ \"/s/k.cu\" -o \"" +
         k +
         "/k.cpp4.ii\"\n"
         "#$ cudafe++ --c++17 --gen_c_file_name \"" +
         k +
         "/k.compute_90.cudafe1.cpp\" --stub_file_name \"k.compute_90.cudafe1.stub.c\" "
         "--gen_module_id_file --module_id_file_name \"" +
         k + "/k.module_id\" \"" + k +
         "/k.cpp4.ii\"\n"
         "#$ \"/usr/bin\"/g++ -D__CUDA_ARCH__=800 -E -x c++ \"/s/k.cu\" -o \"" +
         k +
         "/k.compute_80.cpp1.ii\"\n"
         "#$ \"$CICC_PATH/cicc\" -arch compute_80 --include_file_name \"k.fatbin.c\" "
         "--module_id_file_name \"" +
         k + "/k.module_id\" --stub_file_name \"" + k + "/k.compute_80.cudafe1.stub.c\" \"" + k +
         "/k.compute_80.cpp1.ii\" -o \"" + k +
         "/k.compute_80.ptx\"\n"
         "#$ ptxas -arch=sm_80 \"" +
         k + "/k.compute_80.ptx\" -o \"" + k +
         "/k.compute_80.cubin\"\n"
         "#$ \"/usr/bin\"/g++ -D__CUDA_ARCH__=900 -E -x c++ \"/s/k.cu\" -o \"" +
         k +
         "/k.compute_90.cpp1.ii\"\n"
         "#$ \"$CICC_PATH/cicc\" -arch compute_90 --module_id_file_name \"" +
         k + "/k.module_id\" \"" + k + "/k.compute_90.cpp1.ii\" -o \"" + k +
         "/k.compute_90.ptx\"\n"
         "#$ ptxas -arch=sm_90 \"" +
         k + "/k.compute_90.ptx\" -o \"" + k +
         "/k.compute_90.cubin\"\n"
         "#$ fatbinary \"--image3=kind=elf,sm=80,file=" +
         k + "/k.compute_80.cubin\" \"--image3=kind=elf,sm=90,file=" + k +
         "/k.compute_90.cubin\" --embedded-fatbin=\"" + k +
         "/k.fatbin.c\"\n"
         "#$ \"/usr/bin\"/g++ -c -x c++ \"" +
         k + "/k.compute_90.cudafe1.cpp\" -o \"/b/o/k.cu.o\"\n";
}

NvccCall call(bool depfile) {
  std::vector<std::string> argv{"nvcc", "-O3",     "--threads", "2",
                                "-c",   "/s/k.cu", "-o",        "/b/o/k.cu.o"};
  if (depfile) {
    argv.insert(argv.begin() + 2, {"-MD", "-MF", "/b/o/k.cu.o.d"});
  }
  auto c = parse_nvcc_call(argv);
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : NvccCall{};
}

TEST(NvccCall, SplitsTheDependencyFlagsOff) {
  NvccCall c = call(true);
  EXPECT_THAT(c.argv,
              ElementsAre("nvcc", "-O3", "--threads", "2", "-c", "/s/k.cu", "-o", "/b/o/k.cu.o"));
  EXPECT_EQ(c.depfile, "/b/o/k.cu.o.d");
  EXPECT_EQ(c.source, "/s/k.cu");
  EXPECT_EQ(c.object, "/b/o/k.cu.o");
  EXPECT_EQ(c.threads, 2);
}

TEST(NvccCall, FailsWithoutSourceOrObjectOrWithHalfADepfile) {
  EXPECT_FALSE(parse_nvcc_call({"nvcc", "-c", "a.cu"}).ok());
  EXPECT_FALSE(parse_nvcc_call({"nvcc", "-o", "a.o"}).ok());
  EXPECT_FALSE(parse_nvcc_call({"nvcc", "-MF", "a.d", "-c", "a.cu", "-o", "a.o"}).ok());
  EXPECT_FALSE(parse_nvcc_call({"nvcc", "-MD", "-c", "a.cu", "-o", "a.o"}).ok());
}

TEST(NvccSchedule, HostAndDeviceChainsRunSideBySide) {
  auto s = schedule_nvcc_steps(dryrun(), call(false), k_keep);
  ASSERT_TRUE(s.ok()) << s.errors().list[0].message;
  using V = std::pair<std::string, std::string>;
  EXPECT_THAT(s->variables,
              ElementsAre(V{"_NVVM_BRANCH_", "nvvm"}, V{"TOP", "/cuda/bin/.."},
                          V{"CICC_PATH", "/cuda/bin/../nvvm/bin"},
                          V{"PATH", "/cuda/bin/../nvvm/bin:/cuda/bin:/usr/bin"},
                          V{"SYSTEM_INCLUDES", "\"-isystem\" \"/cuda/include/cccl\""}));
  ASSERT_EQ(s->steps.size(), 10u);
  const auto& st = s->steps;
  EXPECT_TRUE(st[0].after.empty());          // host preprocessing
  EXPECT_THAT(st[1].after, ElementsAre(0));  // cudafe++: its .ii only, not the module id
  EXPECT_TRUE(st[2].after.empty());          // arch 80 preprocessing
  EXPECT_THAT(st[3].after, ElementsAre(2));  // cicc 80: not after cudafe++
  EXPECT_THAT(st[4].after, ElementsAre(3));  // ptxas 80
  EXPECT_TRUE(st[5].after.empty());          // arch 90 preprocessing
  EXPECT_THAT(st[6].after, ElementsAre(5));
  EXPECT_THAT(st[7].after, ElementsAre(6));
  EXPECT_THAT(st[8].after, ElementsAre(4, 7));                       // fatbinary: both cubins
  EXPECT_THAT(st[9].after, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8));  // host compile: all
  EXPECT_THAT(st[1].command, Not(HasSubstr("--gen_module_id_file")));
  EXPECT_THAT(st[1].command, HasSubstr("--module_id_file_name \"" + k_keep + "/k.module_id\""));
  EXPECT_EQ(s->module_id_file, k_keep + "/k.module_id");
  EXPECT_EQ(s->module_id, nvcc_module_id("/s/k.cu", "/b/o/k.cu.o"));
  EXPECT_TRUE(s->depfile_parts.empty());
}

TEST(NvccSchedule, EveryPreprocessingStepWritesPartOfTheDepfile) {
  auto s = schedule_nvcc_steps(dryrun(), call(true), k_keep);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->depfile_parts,
              ElementsAre(k_keep + "/kb-deps.0", k_keep + "/kb-deps.2", k_keep + "/kb-deps.5"));
  EXPECT_THAT(s->steps[0].command, HasSubstr(" -MD -MF " + shell_quote(k_keep + "/kb-deps.0") +
                                             " -MT " + shell_quote("/b/o/k.cu.o")));
  EXPECT_THAT(s->steps[5].command, HasSubstr(" -MF " + shell_quote(k_keep + "/kb-deps.5") + " "));
  EXPECT_THAT(s->steps[1].command, Not(HasSubstr("-MD")));
}

TEST(NvccSchedule, UnknownShapesFallBackToPlainNvcc) {
  std::string text = dryrun();
  // nvcc filtering dependencies itself (a -MD left in the command).
  EXPECT_FALSE(
      schedule_nvcc_steps(text + "#$ -- Filter Dependencies -- > /b/o/k.d\n", call(false), k_keep)
          .ok());
  // No module id generated by cudafe++.
  std::string no_id = text;
  no_id.replace(no_id.find("--gen_module_id_file "), 21, "");
  EXPECT_FALSE(schedule_nvcc_steps(no_id, call(false), k_keep).ok());
  // Intermediate files somewhere else than the keep directory.
  EXPECT_FALSE(schedule_nvcc_steps(text, call(false), "/elsewhere").ok());
  EXPECT_FALSE(schedule_nvcc_steps("nvcc fatal   : Unknown option\n", call(false), k_keep).ok());
  // A space in the directory or the source name: paths could not be told apart.
  std::string spaced = "/b/my o/k.cu.o.steps";
  std::string text_spaced = text;
  for (size_t p; (p = text_spaced.find(k_keep)) != std::string::npos;)
    text_spaced.replace(p, k_keep.size(), spaced);
  EXPECT_FALSE(schedule_nvcc_steps(text_spaced, call(false), spaced).ok());
  NvccCall odd_source = call(false);
  odd_source.source = "/s/my kernel.cu";
  EXPECT_FALSE(schedule_nvcc_steps(text, odd_source, k_keep).ok());
}

TEST(NvccModuleId, IsAnIdentifierUniquePerObjectAndStable) {
  std::string a = nvcc_module_id("/s/huber-cuda.cu", "/b/x/huber-cuda.cu.o");
  EXPECT_EQ(a, nvcc_module_id("/s/huber-cuda.cu", "/b/x/huber-cuda.cu.o"));
  EXPECT_NE(a, nvcc_module_id("/s/huber-cuda.cu", "/b/y/huber-cuda.cu.o"));
  ASSERT_EQ(a.size(), 1 + 16 + std::string("_13_huber_cuda_cu").size());
  EXPECT_EQ(a[0], '_');
  EXPECT_EQ(a.substr(1, 16).find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_TRUE(a.ends_with("_13_huber_cuda_cu"));
  EXPECT_EQ(a.find_first_not_of("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            std::string::npos);
}

}  // namespace
}  // namespace kb
