#pragma once
// What a source includes of Torch, read from its #include lines. kb uses it for one thing:
// the scheduler's first guess of a compile's duration before any build has timed it (a TU
// that parses Torch's headers takes seconds to minutes; a Torch-free kernel TU a second or
// two). A wrong guess costs only ordering, never correctness. Pure, except torch_includes_of
// (which reads files through Disk).

#include <string>
#include <string_view>
#include <vector>

#include "kb/disk.h"
#include "kb/torch_includes.h"

namespace kb {

// One #include directive.
struct IncludeDirective {
  std::string path;     // as written between the quotes or angle brackets
  bool angled = false;  // <...> rather than "..."
  bool operator==(const IncludeDirective&) const = default;
};

// The #include directives of a C, C++ or CUDA source, in order; comments are skipped, and so
// are lines that are not directives (a commented-out or #if 0'd include still counts: the
// guess does not evaluate the preprocessor).
std::vector<IncludeDirective> include_directives(std::string_view text);

// What including `path` brings in: stable for torch/csrc/stable/ and torch/headeronly/,
// full for any other torch/, ATen/, c10/ or caffe2/ path, none otherwise.
TorchIncludes classify_torch_include(std::string_view path);

// The larger of two levels (none < stable < full).
TorchIncludes max(TorchIncludes a, TorchIncludes b);

// How much of Torch the source `rel` (relative to `kernel_dir`) includes, following its
// includes through the kernel's own files: each is looked up next to the including file,
// then in `include_dirs` (relative to `kernel_dir`); system and Torch headers are not read.
// At most 256 files are read; a file that cannot be read counts as including nothing.
TorchIncludes torch_includes_of(const std::string& kernel_dir, const std::string& rel,
                                const std::vector<std::string>& include_dirs, const Disk& disk);

}  // namespace kb
