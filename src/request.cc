#include "kb/request.h"

#include <charconv>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "kb/path.h"

namespace kb {

Result<BuildBackend> parse_build_backend(std::string_view text) {
  if (text == "native") return BuildBackend::native;
  if (text == "nix") return BuildBackend::nix;
  return Error{
      fmt::format("unknown backend '{}'", text), {}, "use --backend=native or --backend=nix"};
}

std::string_view to_string(BuildBackend backend) {
  return backend == BuildBackend::nix ? "nix" : "native";
}

std::optional<int64_t> parse_mem_available(std::string_view meminfo) {
  for (std::string_view line : split_lines(meminfo)) {
    constexpr std::string_view key = "MemAvailable:";
    if (!line.starts_with(key)) continue;
    line.remove_prefix(key.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    int64_t kib = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    if (ec != std::errc() || end == line.data() || kib < 0 || kib > (int64_t{1} << 50))
      return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

MachineFacts read_machine_facts(const Disk& disk, std::string self_exe, std::string pid) {
  MachineFacts facts;
  facts.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (auto text = disk.read_file("/proc/meminfo", int64_t{1} << 20))
    if (auto bytes = parse_mem_available(*text)) facts.mem_available_bytes = *bytes;
  facts.self_exe = std::move(self_exe);
  facts.pid = std::move(pid);
  return facts;
}

Request default_request(const std::string& kernel_dir, const MachineFacts& facts) {
  Request r;
  r.kernel_dir_given = kernel_dir;
  r.kernel_dir = kernel_dir;
  r.out_dir = join_path(kernel_dir, "build");
  r.jobs = facts.cores;
  r.local_cores = facts.cores;
  r.memory_budget_bytes = facts.mem_available_bytes;
  r.kb_path = facts.self_exe;
  r.lock_owner = facts.pid;
  return r;
}

std::string absolute_in(const std::string& cwd, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  return p.lexically_normal().string();
}

std::string absolute_dir_in(const std::string& cwd, const std::string& path) {
  std::string out = absolute_in(cwd, path);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::vector<std::string> to_argv(const Request& r) {
  std::vector<std::string> argv;
  auto add = [&](std::string_view opt, const std::string& value) {
    argv.emplace_back(opt);
    argv.push_back(value);
  };
  for (const auto& t : r.query.torch) add("--torch", absolute_in(r.cwd, t));
  for (const auto& c : r.query.cuda) add("--cuda", absolute_in(r.cwd, c));
  for (const auto& m : r.query.rocm) add("--rocm", absolute_in(r.cwd, m));
  for (const auto& d : r.query.deps) add("--dep", d);
  if (r.unique_id) add("--unique-id", *r.unique_id);
  for (const auto& v : r.variants) add("--variant", v);
  if (r.launcher) add("--launcher", *r.launcher);
  add("--linker", r.linker);
  if (r.cuda_archs) add("--cuda-archs", *r.cuda_archs);
  if (r.rocm_archs) add("--rocm-archs", *r.rocm_archs);
  if (r.id_in_binding) argv.push_back("--id-in-binding");
  if (r.serial_nvcc) argv.push_back("--serial-nvcc");
  add("-j", std::to_string(r.jobs));
  return argv;
}

}  // namespace kb
