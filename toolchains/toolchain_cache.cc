// The discovery cache and the JSON form of Toolchains.
//
// A warm lookup reads one small file and stats a few dozen paths: no process starts. An
// entry is trusted only while every witness (interpreters, torch/version.py, site-packages
// directories, each nvcc/hipcc/clang, the directories searched by glob or PATH) has the
// mtime and size it had when the entry was written; installing or removing anything in
// those places changes a directory's mtime and so invalidates the entry.

#include "toolchains/toolchain_cache.h"

#include "toolchains/probe_context.h"

#include <cstdint>
#include <type_traits>

namespace kb::toolchains {

using nlohmann::json;

namespace {

constexpr size_t k_max_entries = 8;

// Versions that are major.minor by construction (CUDA, HIP, ROCm) are written "13.0", not
// "13": that is how users and nvcc spell them. Version::parse reads both.
json optional_version(const std::optional<Version>& v) {
  return v ? json(v->major_minor()) : json(nullptr);
}

Version version_of(const json& j) {
  auto v = Version::parse(j.get<std::string>());
  if (!v.ok()) throw std::runtime_error("bad version");
  return *v;
}

std::optional<Version> optional_version_of(const json& j) {
  if (j.is_null()) return std::nullopt;
  return version_of(j);
}

json witness_json(const Witness& w) {
  return {{"path", w.path},
          {"exists", w.stat.exists},
          {"is_dir", w.stat.is_dir},
          {"mtime_ns", w.stat.mtime_ns},
          {"size", w.stat.size}};
}

// The field `key` of object `j` when it holds a T; nullopt when `j` is no object, the key is
// absent or its value has another type. Never throws: a cache file is outside kb's control,
// and a damaged or hand-edited one must only cost a re-probe.
template <class T>
std::optional<T> typed_field(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) return it->get<bool>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (it->is_number_integer() && !(it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX))
      return it->get<int64_t>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) return it->get<std::string>();
  } else {
    static_assert(std::is_same_v<T, json>, "typed_field reads bool, int64_t, std::string or json");
    return *it;
  }
  return std::nullopt;
}

// Whether `entry` is an object whose "key" equals `key`.
bool has_key(const json& entry, const json& key) {
  auto k = typed_field<json>(entry, "key");
  return k && *k == key;
}

// Whether the witness recorded in `w` still describes its path. A witness with a missing or
// wrongly typed field does not match, so the entry is re-probed and written again.
bool witness_matches(const Disk& disk, const json& w) {
  auto path = typed_field<std::string>(w, "path");
  auto exists = typed_field<bool>(w, "exists");
  if (!path || !exists) return false;
  FileStat now = disk.stat(*path);
  if (now.exists != *exists) return false;
  if (!now.exists) return true;
  auto is_dir = typed_field<bool>(w, "is_dir");
  auto mtime_ns = typed_field<int64_t>(w, "mtime_ns");
  auto size = typed_field<int64_t>(w, "size");
  return is_dir && mtime_ns && size && now.is_dir == *is_dir && now.mtime_ns == *mtime_ns &&
         now.size == *size;
}

json cxx_json(const HostCompiler& cxx) {
  json linkers = json::array();
  for (const auto& l : cxx.linkers)
    linkers.push_back({{"name", l.name}, {"path", l.path}, {"version", l.version}});
  return {{"path", cxx.path}, {"version", cxx.version}, {"linkers", linkers}};
}

}  // namespace

const std::vector<std::string>& cache_key_env_vars() {
  // PYENV_VERSION picks the interpreter behind a pyenv shim; CXX, CUDA_* and ROCM_PATH are
  // searched directly; PATH decides every PATH lookup.
  static const std::vector<std::string> vars = {
      "PATH", "CUDA_HOME", "CUDA_PATH", "KB_TORCH", "ROCM_PATH", "CXX", "PYENV_VERSION"};
  return vars;
}

json cache_key(const DiscoveryRequest& request, const Environment& env, const std::string& cwd) {
  auto absolute_all = [&](const std::vector<std::string>& paths) {
    json out = json::array();
    for (const auto& p : paths) out.push_back(absolute_path(p, cwd));
    return out;
  };
  json vars = json::object();
  for (const auto& name : cache_key_env_vars())
    if (auto v = env.get(name)) vars[name] = *v;
  return {{"format", k_cache_format},           {"torch", absolute_all(request.torch)},
          {"cuda", absolute_all(request.cuda)}, {"rocm", absolute_all(request.rocm)},
          {"system_root", request.system_root}, {"env", vars}};
}

json toolchains_to_json_value(const Toolchains& t) {
  json torches = json::array();
  for (const auto& x : t.torches)
    torches.push_back({{"python", x.python},
                       {"version", x.version.str()},
                       {"version_string", x.version_string},
                       {"cuda", optional_version(x.cuda)},
                       {"hip", optional_version(x.hip)},
                       {"cxx11_abi", x.cxx11_abi},
                       {"root", x.root},
                       {"include_dirs", x.include_dirs},
                       {"lib_dir", x.lib_dir},
                       {"python_include_dir", x.python_include_dir},
                       {"python_version", x.python_version},
                       {"cmake",
                        {{"found", x.cmake.found},
                         {"cxx_flags", x.cmake.cxx_flags},
                         {"cpu_definitions", x.cmake.cpu_definitions},
                         {"cuda_definitions", x.cmake.cuda_definitions},
                         {"hip_definitions", x.cmake.hip_definitions}}}});
  json cuda = json::array();
  for (const auto& x : t.cuda)
    cuda.push_back({{"root", x.root},
                    {"nvcc", x.nvcc},
                    {"version", x.version.major_minor()},
                    {"gpu_codes", x.gpu_codes},
                    {"include_dir", x.include_dir},
                    {"lib_dir", x.lib_dir}});
  json rocm = json::array();
  for (const auto& x : t.rocm)
    rocm.push_back({{"root", x.root},
                    {"hipcc", x.hipcc},
                    {"clang", x.clang},
                    {"version", x.version.major_minor()},
                    {"hip_version", x.hip_version},
                    {"gfx_targets", x.gfx_targets},
                    {"device_lib_path", x.device_lib_path}});
  json rejected = json::array();
  for (const auto& r : t.rejected)
    rejected.push_back(
        {{"kind", r.kind}, {"candidate", r.candidate}, {"reason", r.reason}, {"origin", r.origin}});
  return {{"cpu", t.cpu},
          {"os", t.os},
          {"torch", torches},
          {"cuda", cuda},
          {"rocm", rocm},
          {"cxx", t.cxx ? cxx_json(*t.cxx) : json(nullptr)},
          {"ninja", t.ninja ? json{{"path", t.ninja->path}, {"version", t.ninja->version.str()}}
                            : json(nullptr)},
          {"rejected", rejected}};
}

namespace {

// j[key] when it is an array; throws (caught below) otherwise. Iterating an object or a
// scalar would not fail, so a list that is no array must be rejected here.
const json& array_at(const json& j, const char* key) {
  const json& a = j.at(key);
  if (!a.is_array()) throw std::runtime_error(std::string("'") + key + "' is not an array");
  return a;
}

}  // namespace

Result<Toolchains> toolchains_from_json_value(const json& j) {
  // nlohmann reports type mismatches by exception; they stay inside this function.
  try {
    if (!j.is_object()) throw std::runtime_error("not an object");
    Toolchains t;
    t.cpu = j.at("cpu").get<std::string>();
    t.os = j.at("os").get<std::string>();
    for (const auto& x : array_at(j, "torch")) {
      TorchInstall ti;
      ti.python = x.at("python").get<std::string>();
      ti.version = version_of(x.at("version"));
      ti.version_string = x.at("version_string").get<std::string>();
      ti.cuda = optional_version_of(x.at("cuda"));
      ti.hip = optional_version_of(x.at("hip"));
      ti.cxx11_abi = x.at("cxx11_abi").get<bool>();
      ti.root = x.at("root").get<std::string>();
      ti.include_dirs = x.at("include_dirs").get<std::vector<std::string>>();
      ti.lib_dir = x.at("lib_dir").get<std::string>();
      ti.python_include_dir = x.at("python_include_dir").get<std::string>();
      ti.python_version = x.at("python_version").get<std::string>();
      const json& cm = x.at("cmake");
      ti.cmake.found = cm.at("found").get<bool>();
      ti.cmake.cxx_flags = cm.at("cxx_flags").get<std::vector<std::string>>();
      ti.cmake.cpu_definitions = cm.at("cpu_definitions").get<std::vector<std::string>>();
      ti.cmake.cuda_definitions = cm.at("cuda_definitions").get<std::vector<std::string>>();
      ti.cmake.hip_definitions = cm.at("hip_definitions").get<std::vector<std::string>>();
      t.torches.push_back(std::move(ti));
    }
    for (const auto& x : array_at(j, "cuda")) {
      CudaToolkit ck;
      ck.root = x.at("root").get<std::string>();
      ck.nvcc = x.at("nvcc").get<std::string>();
      ck.version = version_of(x.at("version"));
      ck.gpu_codes = x.at("gpu_codes").get<std::vector<std::string>>();
      ck.include_dir = x.at("include_dir").get<std::string>();
      ck.lib_dir = x.at("lib_dir").get<std::string>();
      t.cuda.push_back(std::move(ck));
    }
    for (const auto& x : array_at(j, "rocm")) {
      RocmToolkit rk;
      rk.root = x.at("root").get<std::string>();
      rk.hipcc = x.at("hipcc").get<std::string>();
      rk.clang = x.at("clang").get<std::string>();
      rk.version = version_of(x.at("version"));
      rk.hip_version = x.at("hip_version").get<std::string>();
      rk.gfx_targets = x.at("gfx_targets").get<std::vector<std::string>>();
      rk.device_lib_path = x.at("device_lib_path").get<std::string>();
      t.rocm.push_back(std::move(rk));
    }
    if (const auto& c = j.at("cxx"); !c.is_null()) {
      t.cxx = HostCompiler{c.at("path").get<std::string>(), c.at("version").get<std::string>(), {}};
      for (const auto& l : array_at(c, "linkers"))
        t.cxx->linkers.push_back({l.at("name").get<std::string>(), l.at("path").get<std::string>(),
                                  l.at("version").get<std::string>()});
    }
    if (const auto& n = j.at("ninja"); !n.is_null())
      t.ninja = NinjaTool{n.at("path").get<std::string>(), version_of(n.at("version"))};
    for (const auto& r : array_at(j, "rejected"))
      t.rejected.push_back({r.at("kind").get<std::string>(), r.at("candidate").get<std::string>(),
                            r.at("reason").get<std::string>(), r.at("origin").get<std::string>()});
    return t;
  } catch (const std::exception& e) {
    return Error{std::string("malformed toolchain record: ") + e.what(), {}, ""};
  }
}

std::vector<Witness> take_witnesses(const Disk& disk, const std::vector<std::string>& paths) {
  std::vector<Witness> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back({p, disk.stat(p)});
  return out;
}

std::optional<Toolchains> load_cached(const Disk& disk, const std::string& cache_file,
                                      const json& key) {
  if (cache_file.empty()) return std::nullopt;
  auto text = disk.read_file(cache_file);
  if (!text.ok()) return std::nullopt;
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto entries = typed_field<json>(doc, "entries");
  if (!entries || !entries->is_array()) return std::nullopt;
  for (const auto& entry : *entries) {
    if (!has_key(entry, key)) continue;
    auto witnesses = typed_field<json>(entry, "witnesses");
    if (!witnesses || !witnesses->is_array()) return std::nullopt;
    for (const auto& w : *witnesses)
      if (!witness_matches(disk, w)) return std::nullopt;
    // toolchains_from_json_value turns every missing or mistyped field into an error value.
    auto t = toolchains_from_json_value(typed_field<json>(entry, "toolchains").value_or(json()));
    if (!t.ok()) return std::nullopt;
    return std::move(*t);
  }
  return std::nullopt;
}

Result<Ok> store_cached(Disk& disk, const std::string& cache_file, const json& key,
                        const Toolchains& toolchains, const std::vector<Witness>& witnesses) {
  json entries = json::array();
  json ws = json::array();
  for (const auto& w : witnesses) ws.push_back(witness_json(w));
  entries.push_back(
      {{"key", key}, {"witnesses", ws}, {"toolchains", toolchains_to_json_value(toolchains)}});
  // Keep the other requests' entries (another kernel, another --torch), newest first.
  if (auto text = disk.read_file(cache_file); text.ok()) {
    const json old = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (auto kept = typed_field<json>(old, "entries"); kept && kept->is_array())
      for (const auto& e : *kept)
        if (entries.size() < k_max_entries && e.is_object() && !has_key(e, key))
          entries.push_back(e);
  }
  json doc = {{"kb_toolchain_cache", k_cache_format}, {"entries", entries}};
  // Compact: the warm path parses this file on every kb run.
  return disk.write_file_atomic(cache_file, doc.dump() + "\n");
}

}  // namespace kb::toolchains

namespace kb {

std::string toolchains_to_json(const Toolchains& toolchains) {
  return toolchains::toolchains_to_json_value(toolchains).dump(2) + "\n";
}

}  // namespace kb
