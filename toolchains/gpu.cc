#include "toolchains/gpu.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace kb::toolchains {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(
        trim(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

std::optional<long> to_long(const std::string& s) {
  long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "9.0", "12.1": digits, a dot, digits.
bool is_cap(const std::string& s) {
  size_t dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != dot && !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

bool contains_text(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The indices listed in a *_VISIBLE_DEVICES value, applied to `items`; nullopt when an
// entry is no index (the caller keeps everything).
template <class T>
std::optional<std::vector<T>> pick_by_index(const std::vector<T>& items, const std::string& value) {
  std::vector<T> out;
  if (trim(value).empty()) return out;
  for (const auto& entry : split(value, ',')) {
    auto i = to_long(entry);
    if (!i) return std::nullopt;
    if (*i < 0 || *i >= static_cast<long>(items.size()))
      break;  // the list ends at the first bad index
    out.push_back(items[static_cast<size_t>(*i)]);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& nvidia_smi_argv() {
  static const std::vector<std::string> argv = {"nvidia-smi", "--query-gpu=index,uuid,compute_cap",
                                                "--format=csv,noheader"};
  return argv;
}

Result<std::vector<SmiGpu>> parse_nvidia_smi_gpus(std::string_view text) {
  std::vector<SmiGpu> out;
  int line_no = 0;
  for (const auto& raw : split(text, '\n')) {
    ++line_no;
    if (raw.empty()) continue;
    auto fields = split(raw, ',');
    if (fields.size() != 3)
      return Error{fmt::format("nvidia-smi line {}: expected index, uuid, compute_cap, got \"{}\"",
                               line_no, raw),
                   std::nullopt, ""};
    auto index = to_long(fields[0]);
    if (!index)
      return Error{fmt::format("nvidia-smi line {}: \"{}\" is no GPU index", line_no, fields[0]),
                   std::nullopt, ""};
    if (!is_cap(fields[2]))
      return Error{
          fmt::format("nvidia-smi line {}: \"{}\" is no compute capability", line_no, fields[2]),
          std::nullopt, ""};
    out.push_back({static_cast<int>(*index), fields[1], fields[2]});
  }
  return out;
}

std::vector<SmiGpu> apply_cuda_visible_devices(const std::vector<SmiGpu>& all,
                                               const std::optional<std::string>& visible,
                                               const std::optional<std::string>& device_order,
                                               std::string& note) {
  if (!visible) return all;
  std::vector<std::string> entries = split(*visible, ',');
  if (trim(*visible).empty()) return {};
  const bool same_model =
      std::all_of(all.begin(), all.end(), [&](const SmiGpu& g) { return g.cap == all[0].cap; });
  const bool bus_order = device_order && trim(*device_order) == "PCI_BUS_ID";
  std::vector<SmiGpu> out;
  for (const auto& e : entries) {
    if (e.rfind("MIG-", 0) == 0) {
      note =
          "CUDA_VISIBLE_DEVICES names a MIG instance, which nvidia-smi's list cannot tell apart: "
          "counting every GPU";
      return all;
    }
    const SmiGpu* hit = nullptr;
    if (auto i = to_long(e)) {
      if (!bus_order && !same_model) {
        note =
            "CUDA_VISIBLE_DEVICES indices follow CUDA's fastest-first order, not nvidia-smi's (set "
            "CUDA_DEVICE_ORDER=PCI_BUS_ID to match): counting every GPU";
        return all;
      }
      for (const auto& g : all)
        if (g.index == *i) hit = &g;
    } else if (e.rfind("GPU-", 0) == 0) {
      for (const auto& g : all)
        if (g.uuid.rfind(e, 0) == 0) {
          if (hit) {  // an ambiguous prefix: CUDA stops here too
            hit = nullptr;
            break;
          }
          hit = &g;
        }
    }
    if (!hit) break;  // CUDA ignores this entry and every one after it
    if (std::none_of(out.begin(), out.end(),
                     [&](const SmiGpu& g) { return g.index == hit->index; }))
      out.push_back(*hit);
  }
  return out;
}

GpuProbe detect_cuda_gpus(Process& process, const Environment& env) {
  GpuProbe probe;
  auto run = process.capture(nvidia_smi_argv(), env, k_gpu_probe_timeout);
  if (!run.ok()) {
    probe.note = "nvidia-smi: not found";
    return probe;
  }
  const Captured& c = *run;
  const std::string text = c.out + c.err;
  if (c.timed_out) {
    probe.transient = true;
    probe.note =
        fmt::format("nvidia-smi did not answer within {} s", k_gpu_probe_timeout.count() / 1000);
    return probe;
  }
  if (c.exit_code != 0) {
    // Answers that stay the same until the machine changes: cacheable.
    if (contains_text(text, "couldn't communicate with the NVIDIA driver"))
      probe.note = "nvidia-smi: no NVIDIA driver";
    else if (contains_text(text, "No devices were found"))
      probe.note = "nvidia-smi: no devices";
    else if (contains_text(text, "is not a valid field"))
      probe.note = "nvidia-smi: the driver is too old to report compute_cap";
    else {
      probe.transient = true;
      probe.note =
          fmt::format("nvidia-smi failed (exit {}): {}", c.exit_code, trim(text.substr(0, 200)));
    }
    return probe;
  }
  auto gpus = parse_nvidia_smi_gpus(c.out);
  if (!gpus.ok()) {
    probe.transient = true;
    probe.note = gpus.errors().list.front().message;
    return probe;
  }
  std::string note;
  for (const auto& g : apply_cuda_visible_devices(*gpus, env.get("CUDA_VISIBLE_DEVICES"),
                                                  env.get("CUDA_DEVICE_ORDER"), note))
    probe.archs.push_back(g.cap);
  probe.note = note;
  if (probe.archs.empty() && note.empty() && !gpus->empty())
    probe.note = "CUDA_VISIBLE_DEVICES hides every GPU";
  return probe;
}

std::optional<std::string> gfx_from_target_version(long version) {
  if (version <= 0) return std::nullopt;
  long major = version / 10000, minor = (version / 100) % 100, stepping = version % 100;
  if (minor > 15 || stepping > 15) return std::nullopt;
  return fmt::format("gfx{}{:x}{:x}", major, minor, stepping);
}

std::optional<std::string> gfx_from_kfd_properties(std::string_view text) {
  for (const auto& line : split(text, '\n')) {
    constexpr std::string_view key = "gfx_target_version";
    if (line.rfind(key, 0) != 0 || line.size() <= key.size() ||
        !std::isspace(static_cast<unsigned char>(line[key.size()])))
      continue;
    auto v = to_long(trim(std::string_view(line).substr(key.size())));
    return v ? gfx_from_target_version(*v) : std::nullopt;
  }
  return std::nullopt;
}

GpuProbe detect_rocm_gpus(const Disk& disk, const Environment& env, const std::string& nodes_dir) {
  GpuProbe probe;
  auto nodes = disk.list_dir(nodes_dir);
  if (!nodes.ok()) {
    probe.note = fmt::format("{}: no KFD topology (no amdgpu driver)", nodes_dir);
    return probe;
  }
  std::vector<std::pair<long, std::string>> numbered;
  for (const auto& n : *nodes)
    if (auto i = to_long(n)) numbered.emplace_back(*i, n);
  std::sort(numbered.begin(), numbered.end());
  std::vector<std::string> gpus;
  for (const auto& [i, name] : numbered) {
    auto text = disk.read_file(nodes_dir + "/" + name + "/properties", 1 << 20);
    if (!text.ok()) continue;
    if (auto gfx = gfx_from_kfd_properties(*text)) gpus.push_back(*gfx);
  }
  // ROCr applies its variable first; HIP then numbers what is left.
  auto hip = env.get("HIP_VISIBLE_DEVICES");
  if (!hip) hip = env.get("CUDA_VISIBLE_DEVICES");
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::optional<std::string>>>{
           {"ROCR_VISIBLE_DEVICES", env.get("ROCR_VISIBLE_DEVICES")},
           {"HIP_VISIBLE_DEVICES", hip}}) {
    if (!value) continue;
    auto picked = pick_by_index(gpus, *value);
    if (!picked) {
      probe.note = fmt::format("{}={} is not a list of indices: counting every GPU", name, *value);
      continue;
    }
    gpus = std::move(*picked);
  }
  probe.archs = std::move(gpus);
  return probe;
}

const std::vector<std::string>& gpu_cache_env_vars() {
  static const std::vector<std::string> vars = {"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
                                                "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                                "PATH"};
  return vars;
}

nlohmann::json gpu_cache_key(const std::string& probe, const Environment& env,
                             const std::string& boot_id) {
  nlohmann::json key = {{"probe", probe}, {"boot_id", trim(boot_id)}};
  nlohmann::json vars = nlohmann::json::object();
  for (const auto& name : gpu_cache_env_vars())
    if (auto v = env.get(name)) vars[name] = *v;
  key["env"] = vars;
  return key;
}

const std::vector<std::string>& gpu_witness_paths() {
  static const std::vector<std::string> paths = {"/dev/nvidiactl", "/dev/kfd",
                                                 "/proc/driver/nvidia/version"};
  return paths;
}

}  // namespace kb::toolchains
