// libFuzzer entry point: one input is one build.toml, run through parse -> matrix -> plan ->
// Ninja text (fuzz_pipeline.h). A broken promise traps, so libFuzzer keeps the input as a
// crasher like any sanitizer report. Built with -Dfuzz=true (tests/fuzz/meson.build).

#include <cstdint>
#include <cstdio>
#include <string_view>

#include "tests/fuzz/fuzz_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bad =
      kb::fuzz::run_pipeline(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!bad.empty()) {
    std::fprintf(stderr, "kb_fuzz: %s\n", bad.c_str());
    __builtin_trap();
  }
  return 0;
}
