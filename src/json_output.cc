#include "kb/json_output.h"

#include <nlohmann/json.hpp>

namespace kb {

namespace {

using json = nlohmann::ordered_json;

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json variant_json(const Variant& v, const Toolchains& tc) {
  const TorchInstall* torch =
      v.torch && *v.torch < tc.torches.size() ? &tc.torches[*v.torch] : nullptr;
  const CudaToolkit* cuda = v.cuda && *v.cuda < tc.cuda.size() ? &tc.cuda[*v.cuda] : nullptr;
  const RocmToolkit* rocm = v.rocm && *v.rocm < tc.rocm.size() ? &tc.rocm[*v.rocm] : nullptr;

  json j;
  j["name"] = v.name;
  j["backend"] = std::string(to_string(v.backend));
  // The version the name carries: the toolkit's for CUDA, Torch's HIP version for ROCm.
  j["backend_version"] = v.id.compute ? json(v.id.compute->major_minor()) : json(nullptr);
  j["torch"] = torch ? json(torch->version.truncated(2).major_minor()) : json(nullptr);
  j["torch_version"] = torch ? or_null(torch->version_string) : json(nullptr);
  j["noarch"] = v.noarch;
  j["stable_abi"] = v.stable_abi ? json(v.stable_abi->major_minor()) : json(nullptr);
  json sections = json::array();
  for (const auto& s : v.sections) {
    json js;
    js["name"] = s.section;
    js["archs"] = s.archs;
    js["notes"] = s.notes;
    sections.push_back(std::move(js));
  }
  j["sections"] = std::move(sections);
  j["skipped_sections"] = v.skipped_sections;
  j["metadata_archs"] = v.metadata_archs();
  json t;
  t["python"] = torch ? or_null(torch->python) : json(nullptr);
  t["nvcc"] = cuda ? or_null(cuda->nvcc) : json(nullptr);
  t["hipcc"] = rocm ? or_null(rocm->hipcc) : json(nullptr);
  t["hip_clang"] = rocm ? or_null(rocm->clang) : json(nullptr);
  j["toolchain"] = std::move(t);
  return j;
}

}  // namespace

std::string matrix_to_json(const Matrix& matrix, const Toolchains& toolchains,
                           bool include_rejected) {
  json root;
  json variants = json::array();
  for (const auto& v : matrix.variants) variants.push_back(variant_json(v, toolchains));
  root["variants"] = std::move(variants);
  if (include_rejected) {
    json rejected = json::array();
    for (const auto& r : matrix.rejected)
      rejected.push_back(json{{"name", r.name}, {"reason", r.reason}});
    root["rejected"] = std::move(rejected);
  }
  return root.dump(2) + "\n";
}

}  // namespace kb
