// check_variant_abi / check_abi_tree and their output: the ABI policy over bundle directories.

#include <nlohmann/json.hpp>

#include "kb/abi_check.h"

namespace kb {
namespace {

bool is_library(const std::string& path) { return path.ends_with(".so") || path.ends_with(".pyd"); }

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.ends_with('/') ? dir + name : dir + "/" + name;
}

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.ends_with('/')) p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Sub-directories of `dir` that hold a metadata.json, sorted.
std::vector<std::string> variant_dirs(const Disk& disk, const std::string& dir) {
  std::vector<std::string> out;
  auto names = disk.list_dir(dir);
  if (!names.ok()) return out;
  for (const auto& name : *names) {
    const std::string sub = join(dir, name);
    if (disk.stat(sub).is_dir && disk.stat(join(sub, "metadata.json")).is_regular)
      out.push_back(sub);
  }
  return out;
}

const char* kind_name(AbiViolation::Kind k) {
  switch (k) {
    case AbiViolation::Kind::manylinux: return "manylinux";
    case AbiViolation::Kind::python_not_abi3: return "python_not_abi3";
    case AbiViolation::Kind::python_too_new: return "python_too_new";
    case AbiViolation::Kind::torch_not_stable: return "torch_not_stable";
    case AbiViolation::Kind::torch_shim_too_new: return "torch_shim_too_new";
  }
  return "unknown";
}

std::string what_was_checked(const VariantVerdict& v) {
  std::string text = v.options.manylinux + ", abi3 " + v.options.python_abi.major_minor();
  if (v.options.torch_stable_abi)
    text += ", stable ABI " + v.options.torch_stable_abi->major_minor();
  return text;
}

}  // namespace

bool VariantVerdict::ok() const {
  if (libraries.empty()) return false;
  for (const auto& lib : libraries)
    if (lib.error || !lib.violations.empty()) return false;
  return true;
}

std::optional<Version> stable_abi_target(std::string_view variant) {
  constexpr std::string_view prefix = "torch-stable-abi";
  if (!variant.starts_with(prefix)) return std::nullopt;
  std::string_view digits = variant.substr(prefix.size());
  digits = digits.substr(0, digits.find('-'));
  // One digit of major, the rest minor (the loader's torch-stable-abi(\d)(\d+)).
  if (digits.size() < 2 || digits.size() > 4 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return Version({digits[0] - '0', std::stoi(std::string(digits.substr(1)))});
}

VariantVerdict check_variant_abi(const Disk& disk, const std::string& dir, const AbiTables& tables,
                                 AbiOptions options) {
  VariantVerdict verdict;
  verdict.dir = dir;
  verdict.variant = base_name(dir);
  if (!options.torch_stable_abi) options.torch_stable_abi = stable_abi_target(verdict.variant);
  verdict.options = options;
  auto files = disk.list_files_recursive(dir);
  if (!files.ok()) {
    verdict.libraries.push_back({"", {}, files.errors().list.front()});
    return verdict;
  }
  for (const auto& rel : *files) {
    if (!is_library(rel)) continue;
    LibraryVerdict lib{rel, {}, std::nullopt};
    auto bytes = disk.read_file(join(dir, rel));
    if (!bytes.ok()) {
      lib.error = bytes.errors().list.front();
    } else if (auto imports = read_elf_imports(*bytes); !imports.ok()) {
      lib.error = imports.errors().list.front();
    } else if (auto violations = check_abi(*imports, tables, options); !violations.ok()) {
      lib.error = violations.errors().list.front();
    } else {
      lib.violations = std::move(*violations);
    }
    verdict.libraries.push_back(std::move(lib));
  }
  return verdict;
}

Result<std::vector<VariantVerdict>> check_abi_tree(const Disk& disk, const std::string& root,
                                                   const AbiTables& tables,
                                                   const AbiOptions& options) {
  for (const std::string& candidate : {join(root, "result"), join(root, "build"), root}) {
    auto dirs = variant_dirs(disk, candidate);
    if (dirs.empty()) continue;
    std::vector<VariantVerdict> out;
    for (const auto& d : dirs) out.push_back(check_variant_abi(disk, d, tables, options));
    return out;
  }
  if (disk.stat(join(root, "metadata.json")).is_regular)
    return std::vector<VariantVerdict>{check_variant_abi(disk, root, tables, options)};
  return Error{"no bundle found in " + root,
               {},
               "give a kernel directory (with build/<variant>/metadata.json), a build directory or "
               "one variant"};
}

std::string format_verdict_line(const VariantVerdict& v) {
  size_t violations = 0, errors = 0;
  const LibraryVerdict* first = nullptr;
  for (const auto& lib : v.libraries) {
    violations += lib.violations.size();
    if (lib.error) ++errors;
    if (!first && (lib.error || !lib.violations.empty())) first = &lib;
  }
  if (v.libraries.empty()) return "abi FAIL: " + v.variant + ": no library (.so) found";
  if (v.ok()) {
    const size_t n = v.libraries.size();
    return "abi ok: " + v.variant + " (" + what_was_checked(v) + ", " + std::to_string(n) +
           (n == 1 ? " library)" : " libraries)");
  }
  std::string line = "abi FAIL: " + v.variant + ": ";
  if (violations)
    line += std::to_string(violations) + (violations == 1 ? " violation" : " violations");
  if (violations && errors) line += " and ";
  if (errors)
    line +=
        std::to_string(errors) + (errors == 1 ? " unreadable library" : " unreadable libraries");
  line += "; " + first->path + ": ";
  line += first->error ? first->error->message
                       : describe_violation(first->violations.front(), v.options);
  const size_t more = violations + errors - 1;
  if (more) line += " (and " + std::to_string(more) + " more)";
  return line;
}

std::string format_verdict_details(const VariantVerdict& v) {
  std::string out = format_verdict_line(v) + "\n";
  for (const auto& lib : v.libraries) {
    if (!lib.error && lib.violations.empty()) continue;
    out += "  " + lib.path + ":\n";
    if (lib.error) out += "    error: " + lib.error->message + "\n";
    for (const auto& viol : lib.violations)
      out += "    " + describe_violation(viol, v.options) + "\n";
  }
  return out;
}

std::string format_verdicts_json(const std::vector<VariantVerdict>& verdicts) {
  auto out = nlohmann::json::array();
  for (const auto& v : verdicts) {
    nlohmann::json j;
    j["variant"] = v.variant;
    j["dir"] = v.dir;
    j["ok"] = v.ok();
    j["manylinux"] = v.options.manylinux;
    j["python_abi"] = v.options.python_abi.major_minor();
    j["torch_stable_abi"] = v.options.torch_stable_abi
                                ? nlohmann::json(v.options.torch_stable_abi->major_minor())
                                : nlohmann::json(nullptr);
    auto libs = nlohmann::json::array();
    for (const auto& lib : v.libraries) {
      nlohmann::json l;
      l["path"] = lib.path;
      l["ok"] = !lib.error && lib.violations.empty();
      l["error"] = lib.error ? nlohmann::json(lib.error->message) : nlohmann::json(nullptr);
      auto viols = nlohmann::json::array();
      for (const auto& viol : lib.violations)
        viols.push_back({{"kind", kind_name(viol.kind)},
                         {"symbol", viol.symbol},
                         {"version", viol.version},
                         {"limit", viol.limit},
                         {"demangled", viol.demangled},
                         {"message", describe_violation(viol, v.options)}});
      l["violations"] = std::move(viols);
      libs.push_back(std::move(l));
    }
    j["libraries"] = std::move(libs);
    out.push_back(std::move(j));
  }
  return out.dump(2) + "\n";
}

}  // namespace kb
