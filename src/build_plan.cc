#include "kb/build_plan.h"

#include "kb/manylinux_compat.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "kb/arch.h"
#include "kb/bundle_manifest.h"
#include "kb/bundle_files.h"
#include "kb/deps.h"
#include "kb/hipify.h"
#include "src/flags.h"
#include "kb/path.h"
#include "kb/source_path.h"

namespace kb {

namespace {

int ceil_div(int a, int b) { return b <= 0 ? a : (a + b - 1) / b; }

// The sections of `config` a variant compiles, with their archs, in the matrix's order.
struct ActiveSection {
  const KernelSection* section;
  const std::vector<std::string>* archs;
};

// The variant's sections as the matrix resolved them.
std::vector<ActiveSection> active_sections(const Variant& v) {
  std::vector<ActiveSection> out;
  for (const auto& s : v.sections) out.push_back({&s.kernel, &s.archs});
  return out;
}

// The .cu compiles of the whole plan: each distinct .cu of a variant's sections once.
int count_cuda_sources(const Matrix& matrix) {
  int n = 0;
  for (const auto& v : matrix.variants) {
    if (v.noarch || v.backend != Backend::cuda) continue;
    std::set<std::string> seen;
    for (const auto& s : v.sections)
      for (const auto& f : s.kernel.src)
        if (classify_source(f.value) == SourceKind::cuda) seen.insert(object_stem(f.value));
    n += static_cast<int>(seen.size());
  }
  return n;
}

// One compiled source of a variant with what the sections listing it give it, as CMake
// accumulates per-source properties on the one source of its target: the archs of every
// section (their union, in section order), the cxx-, cuda- and hip-flags of every section
// (appended in section order) and the include dirs of the last section.
struct MergedSource {
  std::string rel;                 // as the first section lists it
  KernelSection section;           // a copy carrying the merged flags and includes
  std::vector<std::string> archs;  // "9.0a", "10.0f", "gfx90a": union in section order
};

std::vector<MergedSource> merge_sources(const std::vector<ActiveSection>& sections) {
  std::vector<MergedSource> out;
  auto add_all = [](std::vector<std::string>& to, const std::vector<std::string>& more) {
    to.insert(to.end(), more.begin(), more.end());
  };
  for (const auto& [section, archs] : sections) {
    for (const auto& src : section->src) {
      if (classify_source(src.value) == SourceKind::not_compiled) continue;
      std::string stem = object_stem(src.value);
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const MergedSource& m) { return object_stem(m.rel) == stem; });
      if (it == out.end()) {
        MergedSource m{src.value, *section, *archs};
        m.section.src = {src};
        out.push_back(std::move(m));
        continue;
      }
      it->section.include = section->include;
      add_all(it->section.cxx_flags, section->cxx_flags);
      add_all(it->section.cuda_flags, section->cuda_flags);
      add_all(it->section.hip_flags, section->hip_flags);
      for (const auto& a : *archs)
        if (std::find(it->archs.begin(), it->archs.end(), a) == it->archs.end())
          it->archs.push_back(a);
    }
  }
  return out;
}

// Python files under torch-ext/<mod>/ as copies into the bundle.
std::vector<BundleCopy> python_copies(const Config& config, const BuildOptions& options,
                                      const std::vector<std::string>& files) {
  std::string dir = join_path(options.kernel_dir, "torch-ext/" + config.module_name());
  std::vector<BundleCopy> out;
  for (const auto& f : files) out.push_back({join_path(dir, f), f});
  return out;
}

struct PlanBuilder {
  const Config& config;
  const Toolchains& tc;
  const BuildOptions& options;
  const std::vector<std::string>& python_files;
  int jobs = 1;
  int cuda_sources = 0;

  VariantBuild skeleton(const Variant& v) const {
    VariantBuild vb;
    vb.variant = v;
    vb.ops_name = make_ops_name(config.module_name(), v.backend, options.unique_id);
    vb.late_bound = !v.noarch && options.late_bound_namespace && v.torch &&
                    *v.torch < tc.torches.size() &&
                    tc.torches[*v.torch].version >= Version({2, k_late_bound_min_torch_minor});
    vb.work_dir = join_path(options.build_dir, ".kb/" + v.name);
    vb.bundle_dir = join_path(options.build_dir, v.name);
    vb.bundle_manifest = join_path(vb.work_dir, "bundle.json");
    vb.bundle_stamp = join_path(vb.work_dir, "bundle.stamp");
    return vb;
  }

  std::string metadata(const Variant& v, const std::string& ops_name,
                       std::vector<std::string> archs) const {
    return render_metadata({.config = config,
                            .backend = v.backend,
                            .ops_name = ops_name,
                            .archs = std::move(archs),
                            .kb_version = options.kb_version,
                            .kernel_commit = options.kernel_commit,
                            .kernel_dirty = options.kernel_dirty});
  }

  VariantBuild noarch(const Variant& v) const {
    VariantBuild vb = skeleton(v);
    vb.copies = python_copies(config, options, noarch_bundle_files(python_files));
    vb.generated["_ops.py"] = noarch_ops_py(config.module_name(), options.unique_id);
    std::vector<std::string> archs;
    if (v.backend == Backend::cuda) archs = config.noarch.cuda_capabilities;
    if (v.backend == Backend::rocm) archs = config.noarch.rocm_archs;
    vb.metadata_json = metadata(v, vb.ops_name, std::move(archs));
    return vb;
  }

  Result<FlagContext> flag_context(const Variant& v, const VariantBuild& vb) const {
    if (!tc.cxx)
      return Error{fmt::format("variant {} needs a host C++ compiler and none was found", v.name),
                   {},
                   "install g++ (or set CXX) and run kb again"};
    if (!v.torch || *v.torch >= tc.torches.size())
      return Error{fmt::format("variant {} has no Torch install attached", v.name),
                   {},
                   "this is a bug in kb's matrix"};
    FlagContext ctx;
    ctx.backend = v.backend;
    ctx.cxx = tc.cxx->path;
    ctx.fuse_ld = options.linker;
    ctx.torch = &tc.torches[*v.torch];
    ctx.stable_abi = v.stable_abi;
    ctx.kernel_dir = options.kernel_dir;
    ctx.generated_include_dir = join_path(vb.work_dir, "gen");
    ctx.extension_name = vb.late_bound
                             ? fmt::format("_{}_{}", config.module_name(), to_string(v.backend))
                             : vb.ops_name;
    auto deps = dependency_includes_for(config, v, options.dependency_includes);
    if (!deps) return deps.take_errors();
    ctx.dependency_includes = std::move(*deps);
    if (v.backend == Backend::cuda) {
      if (!v.cuda || *v.cuda >= tc.cuda.size())
        return Error{fmt::format("variant {} has no CUDA toolkit attached", v.name),
                     {},
                     "this is a bug in kb's matrix"};
      ctx.cuda = &tc.cuda[*v.cuda];
    }
    if (v.backend == Backend::rocm) {
      if (!v.rocm || *v.rocm >= tc.rocm.size())
        return Error{fmt::format("variant {} has no ROCm toolkit attached", v.name),
                     {},
                     "this is a bug in kb's matrix"};
      ctx.rocm = &tc.rocm[*v.rocm];
      if (ctx.rocm->clang.empty())
        return Error{fmt::format("variant {}: the ROCm {} toolkit at {} has no HIP clang", v.name,
                                 ctx.rocm->version.major_minor(), ctx.rocm->root),
                     {},
                     "install ROCm's llvm (clang++), or pass another toolkit with --rocm"};
    }
    return ctx;
  }

  CompileStep step(const VariantBuild& vb, const std::string& rel, CompileStep::Tool tool) const {
    CompileStep s;
    s.tool = tool;
    s.source = join_path(options.kernel_dir, rel);
    s.object = join_path(vb.work_dir, "obj/" + object_stem(rel) + ".o");
    s.depfile = s.object + ".d";
    const char* label = tool == CompileStep::Tool::nvcc  ? "NVCC"
                        : tool == CompileStep::Tool::hip ? "HIP"
                                                         : "CXX";
    s.description = fmt::format("{} {} {}", label, vb.variant.name, rel);
    if (auto it = options.torch_includes.find(rel); it != options.torch_includes.end())
      s.torch_includes = it->second;
    return s;
  }

  // ---- ROCm (docs/rocm.md) ----

  // <work_dir>/hip/<rel>, .cu -> .hip: the hipified copy keeps the author's tree, so relative
  // #includes between hipified files still resolve.
  std::string hipified(const VariantBuild& vb, const std::string& rel) const {
    return join_path(vb.work_dir, "hip/" + hipified_path(object_stem(rel)));
  }

  void add_hipify(VariantBuild& vb, const std::string& rel) const {
    HipifyStep h;
    h.source = join_path(options.kernel_dir, rel);
    h.output = hipified(vb, rel);
    for (const auto& existing : vb.hipify)
      if (existing.output == h.output) return;  // listed by two sections
    h.argv = hipify_argv(options.kb_path, h.source, h.output);
    h.description = fmt::format("HIPIFY {} {}", vb.variant.name, rel);
    vb.hipify.push_back(std::move(h));
  }

  // ROCm: the CUDA sources and headers of the active sections are hipified (each once);
  // .cu (hipified) and .hip files are compiled by HIP's clang for their gfx targets, .cpp
  // files by the host compiler, as they are (the reference hipifies only what the GPU
  // compiler reads).
  void rocm_hipify(VariantBuild& vb, const std::vector<ActiveSection>& sections) const {
    for (const auto& active : sections)
      for (const auto& src : active.section->src)
        if (is_hipify_input(src.value)) add_hipify(vb, src.value);
  }

  CompileStep hip_step(const VariantBuild& vb, const FlagContext& ctx,
                       const MergedSource& m) const {
    CompileStep s = step(vb, m.rel, CompileStep::Tool::hip);
    HipIncludes includes{join_path(vb.work_dir, "hip"), "", false};
    if (classify_source(m.rel) == SourceKind::cuda) {
      includes.original_dir = std::filesystem::path(s.source).parent_path().string();
      includes.from_cuda = true;
      s.source = hipified(vb, m.rel);
    }
    s.argv = hip_compile_argv(ctx, m.section, m.archs, includes, {s.source, s.object, s.depfile});
    s.device_passes =
        static_cast<int>(std::set<std::string>(m.archs.begin(), m.archs.end()).size());
    return s;
  }

  // Every HIP compile may include any hipified header of the variant: they must exist
  // before its first run.
  static void order_hipified_headers(VariantBuild& vb) {
    std::vector<std::string> headers;
    for (const auto& h : vb.hipify)
      if (classify_source(h.output) == SourceKind::not_compiled) headers.push_back(h.output);
    for (auto& c : vb.compiles)
      if (c.tool == CompileStep::Tool::hip) c.order_only = headers;
  }

  // --threads for one section: spread the -j slots over all .cu compiles of the build, but
  // never more threads than the section has archs (nvcc parallelises per arch only).
  int nvcc_threads(size_t archs) const {
    int t = ceil_div(jobs, std::max(cuda_sources, 1));
    return std::clamp(t, 1, std::max<int>(1, static_cast<int>(archs)));
  }

  Result<VariantBuild> arch(const Variant& v) const {
    if (v.id.kind == VariantName::Kind::tvm_ffi)
      return Error{fmt::format("variant {}: tvm-ffi builds are not implemented yet", v.name),
                   {},
                   "build the torch variants, or use the reference kernel-builder for tvm-ffi"};
    if (v.backend != Backend::cuda && v.backend != Backend::cpu && v.backend != Backend::rocm)
      return Error{fmt::format("variant {}: {} compilation is not implemented yet", v.name,
                               to_string(v.backend)),
                   {},
                   "leave this backend out with --variant, or build it with the reference"};
    VariantBuild vb = skeleton(v);
    KB_TRY_ASSIGN(const FlagContext ctx, flag_context(v, vb));
    add_binding_compiles(vb, ctx);
    add_kernel_compiles(vb, ctx, active_sections(v));
    KB_TRY(check_compiles(vb));
    add_link_and_bundle(vb, ctx);
    return vb;
  }

  // The [torch] src TUs and, for a late-bound variant, gen/ops_id.c with the unique id.
  void add_binding_compiles(VariantBuild& vb, const FlagContext& ctx) const {
    for (const auto& src : config.torch.src) {
      if (classify_source(src.value) != SourceKind::cxx) continue;  // headers are not compiled
      CompileStep s = step(vb, src.value, CompileStep::Tool::cxx);
      s.argv = binding_compile_argv(ctx, config.torch, {s.source, s.object, s.depfile});
      s.binding = true;
      s.uses_unique_id = !vb.late_bound;
      if (!options.torch_includes.contains(src.value)) s.torch_includes = TorchIncludes::full;
      vb.compiles.push_back(std::move(s));
    }
    add_manylinux_compat(vb, ctx);
    if (!vb.late_bound) return;
    std::string source = join_path(vb.work_dir, "gen/ops_id.c");
    CompileStep s;
    s.source = source;
    s.object = join_path(vb.work_dir, "obj/gen/ops_id.c.o");
    s.depfile = s.object + ".d";
    s.description = fmt::format("CC {} ops_id.c ({})", vb.variant.name, vb.ops_name);
    s.argv = ops_id_compile_argv(ctx, {s.source, s.object, s.depfile});
    s.generated = true;
    vb.compiles.push_back(std::move(s));
    vb.work_files[source] = ops_id_source(vb.ops_name);
  }

  // gen/kb_manylinux_compat.c, linked into every library so that it stays within
  // manylinux_2_28 when built on a newer glibc (kb/manylinux_compat.h, docs/abi.md).
  void add_manylinux_compat(VariantBuild& vb, const FlagContext& ctx) const {
    std::string source = join_path(vb.work_dir, std::string("gen/") + k_manylinux_compat_file);
    CompileStep s;
    s.source = source;
    s.object = join_path(vb.work_dir, std::string("obj/gen/") + k_manylinux_compat_file + ".o");
    s.depfile = s.object + ".d";
    s.description = fmt::format("CC {} {}", vb.variant.name, k_manylinux_compat_file);
    s.argv = manylinux_compat_compile_argv(ctx, {s.source, s.object, s.depfile});
    s.generated = true;
    vb.compiles.push_back(std::move(s));
    vb.work_files[source] = manylinux_compat_source();
  }

  // The [kernel.*] sources of the variant's sections, each once with what every section
  // gives it (ROCm: hipified first).
  void add_kernel_compiles(VariantBuild& vb, const FlagContext& ctx,
                           const std::vector<ActiveSection>& sections) const {
    Backend backend = vb.variant.backend;
    if (backend == Backend::rocm) rocm_hipify(vb, sections);
    for (const MergedSource& m : merge_sources(sections)) {
      SourceKind kind = classify_source(m.rel);
      if (kind == SourceKind::cxx) {
        CompileStep s = step(vb, m.rel, CompileStep::Tool::cxx);
        s.argv = kernel_cxx_compile_argv(ctx, m.section, {s.source, s.object, s.depfile});
        s.uses_unique_id = !vb.late_bound;
        vb.compiles.push_back(std::move(s));
      } else if (backend == Backend::rocm &&
                 (kind == SourceKind::cuda || kind == SourceKind::hip)) {
        CompileStep s = hip_step(vb, ctx, m);
        s.uses_unique_id = !vb.late_bound;
        vb.compiles.push_back(std::move(s));
      } else if (kind == SourceKind::cuda && backend == Backend::cuda) {
        int threads = nvcc_threads(m.archs.size());
        CompileStep s = step(vb, m.rel, CompileStep::Tool::nvcc);
        s.argv =
            nvcc_compile_argv(ctx, m.section, m.archs, threads, {s.source, s.object, s.depfile});
        s.device_passes = static_cast<int>(gencode_flags(m.archs).size() / 2);
        s.uses_unique_id = !vb.late_bound;
        vb.nvcc_threads = std::max(vb.nvcc_threads, threads);
        vb.compiles.push_back(std::move(s));
      }
    }
    order_hipified_headers(vb);
  }

  // Fails when an object is compiled twice or nothing is compiled at all.
  static Result<Ok> check_compiles(const VariantBuild& vb) {
    std::set<std::string> objects;
    for (const auto& s : vb.compiles)
      if (!objects.insert(s.object).second)
        return Error{
            fmt::format("'{}' is compiled twice for variant {}: it is listed in [torch] src "
                        "and in a [kernel.*] src",
                        s.source, vb.variant.name),
            {},
            "list a binding source in [torch] src only, and kernel sources in [kernel.*] src"};
    if (vb.compiles.empty())
      return Error{
          fmt::format("variant {} has no C++, CUDA or HIP source to compile", vb.variant.name),
          {},
          "list the binding .cpp in [torch] src and kernel sources in [kernel.*] src"};
    return Ok{};
  }

  // The link of every object into <ops>.abi3.so, and what the bundle holds besides it.
  void add_link_and_bundle(VariantBuild& vb, const FlagContext& ctx) const {
    LinkStep link;
    link.output = join_path(vb.work_dir, vb.ops_name + ".abi3.so");
    std::vector<std::string> objs;
    for (const auto& s : vb.compiles) objs.push_back(s.object);
    link.argv = link_argv(ctx, objs, link.output);
    link.description = fmt::format("LINK {} {}.abi3.so", vb.variant.name, vb.ops_name);

    vb.copies = python_copies(config, options, arch_bundle_files(python_files, config.torch.pyext));
    vb.copies.push_back({link.output, vb.ops_name + ".abi3.so"});
    vb.link = std::move(link);
    vb.generated["_ops.py"] = arch_ops_py(vb.ops_name);
    vb.work_files[join_path(vb.work_dir, "gen/registration.h")] =
        vb.late_bound ? late_bound_registration_header() : registration_header();
    vb.metadata_json = metadata(vb.variant, vb.ops_name, vb.variant.metadata_archs());
  }
};

}  // namespace

BundleManifest manifest_for(const VariantBuild& vb) {
  // work_dir is <build_dir>/.kb/<variant>; the stage is its sibling tree
  // <build_dir>/.kb/stage/<variant>, on the same file system as the bundle so that the
  // final swap is a rename.
  std::filesystem::path kb_dir = std::filesystem::path(vb.work_dir).parent_path();
  BundleManifest m;
  m.stage_dir = (kb_dir / "stage" / vb.variant.name).string();
  m.bundle_dir = vb.bundle_dir;
  m.copies = vb.copies;
  m.generated = vb.generated;
  m.metadata_json = vb.metadata_json;
  m.stamp = vb.bundle_stamp;
  return m;
}

Result<BuildPlan> make_build_plan(const Config& config, const Toolchains& toolchains,
                                  const Matrix& matrix, const BuildOptions& options,
                                  const std::vector<std::string>& python_files) {
  if (options.unique_id.empty())
    return Error{"no unique id for the op namespace", {}, "this is a bug in kb's pipeline"};
  PlanBuilder p{config, toolchains, options, python_files};
  p.jobs = std::max(1, options.jobs);
  p.cuda_sources = count_cuda_sources(matrix);

  BuildPlan plan;
  plan.jobs = p.jobs;
  plan.cuda_sources = p.cuda_sources;
  std::vector<Error> errors;
  for (const auto& v : matrix.variants) {
    auto vb = v.noarch ? Result<VariantBuild>(p.noarch(v)) : p.arch(v);
    if (!vb) {
      for (auto& e : vb.take_errors().list) errors.push_back(std::move(e));
      continue;
    }
    vb->manifest = manifest_for(*vb);
    vb->work_files[vb->bundle_manifest] = bundle_manifest_text(vb->manifest);
    plan.nvcc_threads_max = std::max(plan.nvcc_threads_max, vb->nvcc_threads);
    plan.variants.push_back(std::move(*vb));
  }
  if (!errors.empty()) return Errors(std::move(errors));

  // Memory, not cores, bounds nvcc: each process may hold k_nvcc_bytes_per_thread per
  // thread. Sized for the largest --threads so the bound holds for every mix of compiles.
  int64_t per_process = k_nvcc_bytes_per_thread * plan.nvcc_threads_max;
  int64_t depth = options.memory_budget_bytes / std::max<int64_t>(per_process, 1);
  plan.nvcc_pool_depth = static_cast<int>(std::clamp<int64_t>(depth, 1, p.jobs));
  int64_t slots = options.memory_budget_bytes / k_nvcc_bytes_per_thread;
  plan.nvcc_slots = static_cast<int>(std::clamp<int64_t>(slots, 1, p.jobs));
  if (options.remote_compiles) {
    plan.nvcc_pool_depth = p.jobs;
    if (options.local_jobs > 0 && options.local_jobs < p.jobs)
      plan.local_pool_depth = options.local_jobs;
  }
  return plan;
}

}  // namespace kb
