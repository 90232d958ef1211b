#pragma once
// The texts kb generates into a bundle or its work directory (_ops.py, registration.h,
// metadata.json) and the choice of the author's files a bundle copies. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/config.h"
#include "kb/digest.h"
#include "kb/error.h"

namespace kb {

// "_<mod>_<backend>_<uid>": the extension module name, Torch op namespace and metadata id.
std::string make_ops_name(std::string_view module_name, Backend backend,
                          std::string_view unique_id);

// _ops.py of an arch build: imports the extension module from the package, exposes
// `ops = torch.ops.<ops_name>` and add_op_namespace_prefix(op_name) -> "<ops_name>::op_name".
std::string arch_ops_py(std::string_view ops_name);

// _ops.py of a noarch build: picks the backend when imported (tpu, neuron, cuda, rocm,
// metal, xpu, cpu, in the reference's order) and uses the namespace
// "_<module_name>_<backend>_<unique_id>".
std::string noarch_ops_py(std::string_view module_name, std::string_view unique_id);

// registration.h for binding TUs: CONCAT, STRINGIFY, TORCH_LIBRARY_EXPAND,
// TORCH_LIBRARY_IMPL_EXPAND, STABLE_TORCH_LIBRARY_EXPAND, STABLE_TORCH_LIBRARY_IMPL_EXPAND
// and REGISTER_EXTENSION(NAME), which defines PyInit_<NAME> returning an empty module.
// Each macro expands NAME before pasting, so TORCH_EXTENSION_NAME can be passed.
std::string registration_header();

// The C symbol through which a binding compiled without the unique id learns its op
// namespace: a const char array defined by ops_id_source().
inline constexpr std::string_view k_ops_namespace_symbol = "kb_ops_namespace";

// registration.h for binding TUs compiled without the unique id (see kb/binding_scan.h):
// the same macros, but the four library macros ignore NAME and register under the
// namespace kept in kb_ops_namespace, read at static-initialisation time (a constant array,
// so it is set before any dynamic initialiser runs), and REGISTER_EXTENSION(NAME) is a mere
// declaration, since PyInit_<ops name> lives in the generated TU. Written against the
// registration types of Torch 2.11 and later (torch::detail::TorchLibraryInit,
// torch::stable::detail::StableTorchLibraryInit).
std::string late_bound_registration_header();

// The generated TU of a late-bound build, the only one that carries the unique id:
// kb_ops_namespace = "<ops name>" and PyInit_<ops name>, which returns an empty abi3 module.
// C (compiled with -x c); includes only Python.h, so it compiles in about 0.1 s.
std::string ops_id_source(std::string_view ops_name);

// What metadata.json says about one variant.
struct MetadataInput {
  const Config& config;
  Backend backend = Backend::cpu;
  std::string ops_name{};
  std::vector<std::string> archs{};  // written as backend.archs when non-empty, in this order
  std::string kb_version{};          // written as "kb <version>"
  std::optional<std::string> kernel_commit{};  // provenance.kernel, only when set
  bool kernel_dirty = false;
};

// metadata.json without "digest": keys name, id, version, license, [upstream], [source],
// python-depends, kernel-depends, backend, provenance; 2-space indent, no final newline
// (as the reference's last writer, `kernel-builder hash`, leaves it).
std::string render_metadata(const MetadataInput& in);

// `metadata` (a render_metadata text) with "digest" inserted before "provenance" (or at the
// end when there is none), in the same format. Fails when `metadata` is not a JSON object.
Result<std::string> metadata_with_digest(std::string_view metadata, const Digest& digest);

// The files of torch-ext/<mod>/ (relative paths) an arch bundle copies: every *.py and every
// file whose extension is in `pyext` minus py/pyi. Never *.pyi, bytecode, __pycache__ or the
// author's _ops.py (the generated one replaces it). Sorted.
std::vector<std::string> arch_bundle_files(const std::vector<std::string>& python_files,
                                           const std::vector<std::string>& pyext);

// The files a noarch bundle copies: all of them except *.pyc, __pycache__ and _ops.py. Sorted.
std::vector<std::string> noarch_bundle_files(const std::vector<std::string>& python_files);

}  // namespace kb
