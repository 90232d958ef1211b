#include "toolchains/gpu_cache.h"

#include <nlohmann/json.hpp>

#include "toolchains/toolchain_cache.h"

namespace kb::toolchains {

namespace {

using json = nlohmann::json;

// Bump when a probe changes what it reports, so that old entries stop matching.
constexpr int k_gpu_cache_format = 1;
constexpr size_t k_max_entries = 8;

json witnesses_now(const Disk& disk) {
  json out = json::array();
  for (const auto& w : take_witnesses(disk, gpu_witness_paths()))
    out.push_back({{"path", w.path},
                   {"exists", w.stat.exists},
                   {"mtime_ns", w.stat.mtime_ns},
                   {"size", w.stat.size}});
  return out;
}

std::string boot_id(const Disk& disk) {
  auto text = disk.read_file("/proc/sys/kernel/random/boot_id");
  return text.ok() ? *text : "";
}

// The entries of the cache file; an empty array when it is missing, damaged or of another
// format (a damaged cache only costs a probe).
json entries_of(const Disk& disk, const std::string& cache_file) {
  auto text = disk.read_file(cache_file);
  if (!text.ok()) return json::array();
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("kb_gpu_cache", 0) != k_gpu_cache_format) return json::array();
  auto it = doc.find("entries");
  return it != doc.end() && it->is_array() ? *it : json::array();
}

std::optional<GpuProbe> probe_of(const json& entry) {
  auto archs = entry.find("archs");
  auto note = entry.find("note");
  if (archs == entry.end() || !archs->is_array() || note == entry.end() || !note->is_string())
    return std::nullopt;
  GpuProbe probe;
  for (const auto& a : *archs) {
    if (!a.is_string()) return std::nullopt;
    probe.archs.push_back(a.get<std::string>());
  }
  probe.note = note->get<std::string>();
  return probe;
}

GpuProbe run_probe(GpuKind kind, Process& process, const Disk& disk, const Environment& env) {
  return kind == GpuKind::cuda ? detect_cuda_gpus(process, env) : detect_rocm_gpus(disk, env);
}

}  // namespace

GpuProbe find_gpus(GpuKind kind, const std::string& cache_file, Process& process, Disk& disk,
                   const Environment& env) {
  if (cache_file.empty()) return run_probe(kind, process, disk, env);
  const json key = gpu_cache_key(kind == GpuKind::cuda ? "cuda" : "rocm", env, boot_id(disk));
  const json witnesses = witnesses_now(disk);
  json entries = entries_of(disk, cache_file);
  for (const auto& e : entries)
    if (e.is_object() && e.value("key", json()) == key && e.value("witnesses", json()) == witnesses)
      if (auto cached = probe_of(e)) return *cached;

  GpuProbe probe = run_probe(kind, process, disk, env);
  if (probe.transient) return probe;
  json kept = json::array();
  kept.push_back(
      {{"key", key}, {"witnesses", witnesses}, {"archs", probe.archs}, {"note", probe.note}});
  for (const auto& e : entries)
    if (kept.size() < k_max_entries && e.is_object() && e.value("key", json()) != key)
      kept.push_back(e);
  json doc = {{"kb_gpu_cache", k_gpu_cache_format}, {"entries", kept}};
  (void)disk.write_file_atomic(
      cache_file, doc.dump() + "\n");  // a cache that cannot be written costs a probe next time
  return probe;
}

}  // namespace kb::toolchains
