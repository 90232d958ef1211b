// The arch selection stage (kb/pipeline.h select_archs): --cuda-archs / --rocm-archs, the
// environment, and this machine's GPUs, between discovery and the matrix.
#include <algorithm>

#include "kb/path.h"
#include "kb/pipeline.h"
#include "src/pipeline_parts.h"
#include "toolchains/gpu_cache.h"

namespace kb {

namespace {

bool has_kernels_for(const Config& config, Backend backend) {
  return std::any_of(config.kernels.begin(), config.kernels.end(),
                     [&](const KernelSection& k) { return k.backend == backend; });
}

// The GPUs of `kind` when the choice is native, the config builds for it and a toolkit
// was found; else none (nothing is asked).
std::vector<std::string> gpus_for(const ArchChoice& choice, toolchains::GpuKind kind, bool wanted,
                                  const ArchRequest& request, Io& io, ArchSelections& out) {
  if (choice.kind != ArchChoice::Kind::native || !wanted) return {};
  auto probe = command_parts::find_gpus(kind, request.use_cache, io);
  if (probe.archs.empty() && !probe.note.empty()) out.probe_notes.push_back(probe.note);
  return probe.archs;
}

}  // namespace

toolchains::GpuProbe command_parts::find_gpus(toolchains::GpuKind kind, bool use_cache, Io& io) {
  const std::string cache = use_cache ? command_parts::kb_cache_file(io.env, "gpus.json") : "";
  return toolchains::find_gpus(kind, cache, io.process, io.disk, io.env);
}

ArchRequest arch_request(const Request& request) {
  return ArchRequest{request.cuda_archs, request.rocm_archs, request.query.use_cache};
}

Result<ArchSelections> select_archs(const ArchRequest& request, const Config& config,
                                    const Toolchains& toolchains, Io& io) {
  auto cuda_choice = choose_cuda_archs(request.cuda.value_or(""), io.env.get("KB_CUDA_ARCHS"));
  auto rocm_choice = choose_rocm_archs(request.rocm.value_or(""), io.env.get("KB_ROCM_ARCHS"));
  if (!cuda_choice || !rocm_choice) {
    Errors errors;
    if (!cuda_choice) errors = cuda_choice.take_errors();
    if (!rocm_choice)
      for (auto& e : rocm_choice.take_errors().list) errors.list.push_back(std::move(e));
    return errors;
  }
  ArchSelections out;
  std::optional<Version> newest_cuda;
  for (const auto& tk : toolchains.cuda)
    if (!newest_cuda || *newest_cuda < tk.version) newest_cuda = tk.version;

  auto cuda_gpus = gpus_for(*cuda_choice, toolchains::GpuKind::cuda,
                            has_kernels_for(config, Backend::cuda) && !toolchains.cuda.empty(),
                            request, io, out);
  auto rocm_gpus = gpus_for(*rocm_choice, toolchains::GpuKind::rocm,
                            has_kernels_for(config, Backend::rocm) && !toolchains.rocm.empty(),
                            request, io, out);
  out.cuda = resolve_cuda_archs(*cuda_choice, cuda_gpus, newest_cuda);
  out.rocm = resolve_rocm_archs(*rocm_choice, rocm_gpus);
  return out;
}

}  // namespace kb
