#include "tests/fakes.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kb {

namespace {

std::string norm(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string parent(const std::string& path) {
  std::string p = std::filesystem::path(path).parent_path().string();
  return p;
}

// Whether `path` is `dir` itself or below it.
bool within(const std::string& path, const std::string& dir) {
  if (path == dir) return true;
  if (dir == "/") return !path.empty() && path.front() == '/';
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

Error fake_error(std::string_view op, const std::string& path) {
  return Error{std::string(op) + " '" + path + "' failed (FakeDisk)", {}, ""};
}

}  // namespace

bool FakeDisk::fails(std::string_view op, const std::string& path) const {
  return fail_if && fail_if(op, path);
}

void FakeDisk::add_symlink(const std::string& path, std::string target) {
  std::string p = norm(path);
  add_dir(parent(p));
  m_links[p] = std::move(target);
  m_created[p] = m_clock++;
}

std::optional<std::string> FakeDisk::resolve(const std::string& path, bool follow_last) const {
  std::string p = norm(path);
  for (int hops = 0; hops < 40; ++hops) {
    // The first component (from the left) that is a link, if any.
    std::optional<std::string> link;
    for (size_t i = 1; i <= p.size(); ++i) {
      if (i < p.size() && p[i] != '/') continue;
      if (i == p.size() && !follow_last) break;
      std::string prefix = p.substr(0, i);
      if (m_links.count(prefix)) {
        link = prefix;
        break;
      }
    }
    if (!link) return p;
    const std::string& target = m_links.at(*link);
    std::string base = !target.empty() && target[0] == '/' ? target : parent(*link) + "/" + target;
    p = norm(base + p.substr(link->size()));
  }
  return std::nullopt;
}

std::string FakeDisk::real_path(const std::string& path) const {
  std::string abs = !path.empty() && path[0] == '/' ? path : cwd + "/" + path;
  auto r = resolve(abs);
  if (!r || !stat(*r).exists) return path;
  return *r;
}

void FakeDisk::add_dir(const std::string& path) {
  for (std::string p = norm(path); !p.empty() && p != "." && !m_dirs.count(p); p = parent(p)) {
    m_dirs.insert(p);
    m_created[p] = m_clock++;
    if (p == "/") break;
  }
}

void FakeDisk::put(const std::string& path, std::string content, bool executable) {
  std::string p = norm(path);
  add_dir(parent(p));
  m_files[p] = File{std::move(content), executable, m_clock++};
}

void FakeDisk::add_file(const std::string& path, std::string content, bool executable) {
  put(path, std::move(content), executable);
}

std::string FakeDisk::content(const std::string& path) const {
  auto it = m_files.find(norm(path));
  return it == m_files.end() ? "" : it->second.content;
}

bool FakeDisk::has_file(const std::string& path) const { return m_files.count(norm(path)) > 0; }
bool FakeDisk::has_dir(const std::string& path) const { return m_dirs.count(norm(path)) > 0; }

std::vector<std::string> FakeDisk::all_files() const {
  std::vector<std::string> out;
  for (const auto& [p, f] : m_files) out.push_back(p);
  return out;
}

void FakeDisk::add_special(const std::string& path, std::string kind) {
  std::string p = norm(path);
  add_dir(parent(p));
  m_special[p] = std::move(kind);
}

void FakeDisk::hold_lock(const std::string& path, std::string holder) {
  m_foreign_locks[norm(path)] = std::move(holder);
}

Result<std::string> FakeDisk::read_file(const std::string& path, int64_t max_bytes) const {
  std::string p = resolve(path).value_or(norm(path));
  if (fails("read", p)) return fake_error("read", p);
  if (auto s = m_special.find(p); s != m_special.end())
    return Error{"cannot read '" + p + "': it is " + s->second + ", not a regular file", {}, ""};
  auto it = m_files.find(p);
  if (it == m_files.end()) return Error{"cannot read '" + p + "': no such file", {}, ""};
  if (static_cast<int64_t>(it->second.content.size()) > max_bytes)
    return Error{
        "cannot read '" + p + "': more than " + std::to_string(max_bytes) + " bytes", {}, ""};
  return it->second.content;
}

FileStat FakeDisk::stat(const std::string& path) const {
  auto resolved = resolve(path);
  if (!resolved) return {};
  const std::string& p = *resolved;
  if (auto it = m_files.find(p); it != m_files.end())
    return FileStat{true,
                    false,
                    it->second.mtime_ns,
                    static_cast<int64_t>(it->second.content.size()),
                    true,
                    it->second.executable};
  if (m_dirs.count(p)) {
    // As on a real file system, adding an entry changes the directory's mtime.
    int64_t mtime = m_created.count(p) ? m_created.at(p) : 0;
    for (const auto& [f, file] : m_files)
      if (parent(f) == p) mtime = std::max(mtime, file.mtime_ns);
    for (const auto& [entry, created] : m_created)
      if (entry != p && parent(entry) == p) mtime = std::max(mtime, created);
    return FileStat{true, true, mtime, 0, false};
  }
  if (m_special.count(p)) return FileStat{true, false, 0, 0, false};
  return {};
}

namespace {

// A lock of FakeDisk::lock_file: releases itself in the disk when destroyed.
class FakeLock : public FileLock {
 public:
  FakeLock(std::set<std::string>& locked, std::vector<std::string>& log, std::string path)
      : m_locked(locked), m_log(log), m_path(std::move(path)) {}
  ~FakeLock() override {
    m_locked.erase(m_path);
    m_log.push_back("unlock " + m_path);
  }

 private:
  std::set<std::string>& m_locked;
  std::vector<std::string>& m_log;
  std::string m_path;
};

}  // namespace

Result<LockAttempt> FakeDisk::lock_file(const std::string& path, const std::string& owner,
                                        bool wait) {
  std::string p = norm(path);
  if (fails("lock", p)) return fake_error("lock", p);
  auto foreign = m_foreign_locks.find(p);
  bool taken = foreign != m_foreign_locks.end() || m_locked.count(p) > 0;
  if (taken && !wait)
    return LockAttempt{nullptr, foreign != m_foreign_locks.end() ? foreign->second : content(p)};
  if (taken) {
    if (m_locked.count(p))
      return Error{"FakeDisk: lock_file would wait for a lock this test holds itself", {}, ""};
    log.push_back("wait-lock " + p);
    m_foreign_locks.erase(foreign);  // the other process finished
  }
  put(p, owner + "\n", false);
  m_locked.insert(p);
  log.push_back("lock " + p);
  return LockAttempt{std::make_unique<FakeLock>(m_locked, log, p), ""};
}

Result<Ok> FakeDisk::write_file_atomic(const std::string& path, const std::string& content) {
  std::string p = norm(path);
  if (fails("write", p)) return fake_error("write", p);
  if (m_dirs.count(p)) return Error{"cannot write '" + p + "': is a directory", {}, ""};
  log.push_back("write " + p);
  put(p, content, false);
  return Ok{};
}

Result<bool> FakeDisk::write_if_changed(const std::string& path, const std::string& content) {
  std::string p = norm(path);
  if (fails("write_if_changed", p)) return fake_error("write_if_changed", p);
  if (auto it = m_files.find(p); it != m_files.end() && it->second.content == content) return false;
  log.push_back("write " + p);
  put(p, content, false);
  return true;
}

Result<Ok> FakeDisk::make_dirs(const std::string& path) {
  std::string p = norm(path);
  if (fails("make_dirs", p)) return fake_error("make_dirs", p);
  if (m_files.count(p))
    return Error{"cannot create directory '" + p + "': a file is there", {}, ""};
  log.push_back("make_dirs " + p);
  add_dir(p);
  return Ok{};
}

Result<std::vector<std::string>> FakeDisk::list_dir(const std::string& path) const {
  std::string p = resolve(path).value_or(norm(path));
  if (fails("list_dir", p)) return fake_error("list_dir", p);
  if (!m_dirs.count(p)) return Error{"cannot list '" + p + "': no such directory", {}, ""};
  std::set<std::string> names;
  auto add = [&](const std::string& child) {
    if (child != p && parent(child) == p)
      names.insert(std::filesystem::path(child).filename().string());
  };
  for (const auto& [f, _] : m_files) add(f);
  for (const auto& d : m_dirs) add(d);
  for (const auto& [l, _] : m_links) add(l);
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> FakeDisk::list_files_recursive(const std::string& root) const {
  std::string r = norm(root);
  if (fails("list", r)) return fake_error("list", r);
  if (!m_dirs.count(r)) return Error{"cannot list '" + r + "': no such directory", {}, ""};
  std::vector<std::string> out;
  for (const auto& [f, _] : m_files)
    if (f != r && within(f, r)) out.push_back(f.substr(r == "/" ? 1 : r.size() + 1));
  return out;  // std::map order is sorted order
}

Result<Ok> FakeDisk::copy_file(const std::string& from, const std::string& to) {
  std::string f = norm(from), t = norm(to);
  if (fails("copy", t)) return fake_error("copy", t);
  auto it = m_files.find(f);
  if (it == m_files.end()) return Error{"cannot copy '" + f + "': no such file", {}, ""};
  log.push_back("copy " + f + " -> " + t);
  File src = it->second;
  put(t, src.content, src.executable);
  return Ok{};
}

Result<Ok> FakeDisk::remove_all(const std::string& path) {
  std::string p = norm(path);
  if (fails("remove_all", p)) return fake_error("remove_all", p);
  log.push_back("remove_all " + p);
  std::erase_if(m_files, [&](const auto& kv) { return within(kv.first, p); });
  std::erase_if(m_dirs, [&](const std::string& d) { return within(d, p); });
  return Ok{};
}

Result<Ok> FakeDisk::replace_dir(const std::string& staged, const std::string& target) {
  std::string s = norm(staged), t = norm(target);
  if (fails("replace", t)) return fake_error("replace", t);
  if (!m_dirs.count(s)) return Error{"cannot replace with '" + s + "': no such directory", {}, ""};
  log.push_back("replace " + s + " -> " + t);
  std::map<std::string, File> moved_files;
  std::set<std::string> moved_dirs;
  for (const auto& [f, file] : m_files)
    if (within(f, s)) moved_files[t + f.substr(s.size())] = file;
  for (const auto& d : m_dirs)
    if (within(d, s)) moved_dirs.insert(t + d.substr(s.size()));
  std::erase_if(m_files,
                [&](const auto& kv) { return within(kv.first, s) || within(kv.first, t); });
  std::erase_if(m_dirs, [&](const std::string& d) { return within(d, s) || within(d, t); });
  m_files.merge(moved_files);
  m_dirs.merge(moved_dirs);
  add_dir(parent(t));
  return Ok{};
}

Result<std::string> FakeDisk::make_temp_dir(const std::string& parent, const std::string& prefix) {
  std::string p = norm(parent);
  if (fails("make_temp_dir", p)) return fake_error("make_temp_dir", p);
  for (int n = 1;; ++n) {
    std::string dir = norm(p + "/" + prefix + std::to_string(n));
    if (m_dirs.count(dir) || m_files.count(dir)) continue;
    log.push_back("make_temp_dir " + dir);
    add_dir(dir);
    return dir;
  }
}

void FakeProcess::on(std::vector<std::string> argv, Captured answer) {
  m_answers[std::move(argv)] = std::move(answer);
}

void FakeProcess::on_run(std::vector<std::string> argv, int exit_code,
                         std::function<void()> effect) {
  m_runs[std::move(argv)] = Run{AttachedExit{exit_code, 0}, std::move(effect)};
}

void FakeProcess::on_run_interrupted(std::vector<std::string> argv, int signal, int exit_code,
                                     std::function<void()> effect) {
  m_runs[std::move(argv)] = Run{AttachedExit{exit_code, signal}, std::move(effect)};
}

int FakeProcess::calls(const std::vector<std::string>& argv) const {
  return static_cast<int>(
      std::count_if(log.begin(), log.end(), [&](const Call& c) { return c.argv == argv; }));
}

Result<Captured> FakeProcess::capture(const std::vector<std::string>& argv, const Environment&,
                                      std::chrono::milliseconds timeout) {
  log.push_back({argv, "", false, timeout});
  if (auto it = m_answers.find(argv); it != m_answers.end()) return it->second;
  if (fallback) return fallback(argv);
  return Error{"cannot run '" + (argv.empty() ? std::string() : argv[0]) +
                   "': no such program (FakeProcess has no answer for this argv)",
               {},
               ""};
}

Result<AttachedExit> FakeProcess::run_attached(const std::vector<std::string>& argv,
                                               const Environment&, const std::string& cwd) {
  log.push_back({argv, cwd, true});
  if (auto it = m_runs.find(argv); it != m_runs.end()) {
    if (it->second.effect) it->second.effect();
    return it->second.exit;
  }
  if (fallback) {
    auto r = fallback(argv);
    if (!r) return r.take_errors();
    return AttachedExit{r->exit_code, 0};
  }
  return Error{"cannot run '" + (argv.empty() ? std::string() : argv[0]) +
                   "': no such program (FakeProcess has no answer for this argv)",
               {},
               ""};
}

namespace {

Located at(std::string v) { return Located{std::move(v), {}}; }

}  // namespace

Config sample_config() {
  Config c;
  c.path = "/src/relu/build.toml";
  c.name = "relu";
  c.version = 1;
  c.license = "Apache-2.0";
  c.upstream = "https://github.com/example/relu.git";
  c.backends = {Backend::cuda, Backend::cpu};
  c.python_depends = {"einops"};
  c.cuda.python_depends = {"nvidia-cutlass-dsl"};
  c.torch.src = {at("torch-ext/torch_binding.cpp"), at("torch-ext/torch_binding.h")};
  c.torch.include = {"csrc"};
  c.torch.pyext = {"py", "pyi", "json"};

  KernelSection cuda;
  cuda.name = "relu_cuda";
  cuda.backend = Backend::cuda;
  cuda.src = {at("relu_cuda/relu.cu"), at("relu_cuda/relu.cuh"), at("relu_cuda/launch.cpp")};
  cuda.include = {"relu_cuda"};
  cuda.cuda_flags = {"-lineinfo", "-static-global-template-stub=false"};
  cuda.cxx_flags = {"-Wno-unused"};
  c.kernels.push_back(cuda);

  KernelSection cpu;
  cpu.name = "relu_cpu";
  cpu.backend = Backend::cpu;
  cpu.src = {at("relu_cpu/relu.cpp")};
  cpu.cxx_flags = {"-fopenmp"};
  c.kernels.push_back(cpu);
  return c;
}

Toolchains sample_toolchains() {
  Toolchains tc;
  TorchInstall t211;
  t211.python = "/venv211/bin/python";
  t211.version_string = "2.11.0+cu130";
  t211.version = Version({2, 11});
  t211.cuda = Version({13});
  t211.cxx11_abi = true;
  t211.root = "/venv211/torch";
  t211.include_dirs = {"/venv211/torch/include", "/venv211/torch/include/torch/csrc/api/include"};
  t211.lib_dir = "/venv211/torch/lib";
  t211.python_include_dir = "/usr/include/python3.11";
  t211.python_version = "3.11";
  t211.cmake.found = true;
  t211.cmake.cpu_definitions = {"USE_DISTRIBUTED", "USE_C10D_GLOO", "USE_RPC", "USE_TENSORPIPE"};
  t211.cmake.cuda_definitions = {"USE_NVSHMEM", "USE_C10D_NCCL"};
  TorchInstall t212 = t211;
  t212.python = "/venv212/bin/python";
  t212.version_string = "2.12.0+cu126";
  t212.version = Version({2, 12});
  t212.cuda = Version({12, 6});
  t212.cxx11_abi = false;
  t212.root = "/venv212/torch";
  t212.include_dirs = {"/venv212/torch/include"};
  t212.lib_dir = "/venv212/torch/lib";
  t212.cmake.cxx_flags = {"-D_GLIBCXX_USE_CXX11_ABI=0"};  // as older packages state it
  t212.cmake.cuda_definitions = {};
  tc.torches = {t211, t212};

  CudaToolkit cu130;
  cu130.root = "/usr/local/cuda-13.0";
  cu130.nvcc = "/usr/local/cuda-13.0/bin/nvcc";
  cu130.version = Version({13});
  cu130.include_dir = "/usr/local/cuda-13.0/include";
  cu130.lib_dir = "/usr/local/cuda-13.0/lib64";
  CudaToolkit cu126 = cu130;
  cu126.root = "/usr/local/cuda-12.6";
  cu126.nvcc = "/usr/local/cuda-12.6/bin/nvcc";
  cu126.version = Version({12, 6});
  cu126.include_dir = "/usr/local/cuda-12.6/include";
  cu126.lib_dir = "/usr/local/cuda-12.6/lib64";
  tc.cuda = {cu130, cu126};
  tc.cxx = HostCompiler{"/usr/bin/g++", "12.2.0", {}};
  return tc;
}

Variant sample_variant(const Config& config, Backend backend, size_t torch,
                       std::optional<size_t> cuda, std::vector<std::string> archs) {
  Toolchains tc = sample_toolchains();
  Variant v;
  v.id.kind = VariantName::Kind::torch;
  v.id.framework = tc.torches[torch].version;
  v.id.backend = backend;
  if (cuda) v.id.compute = tc.cuda[*cuda].version;
  v.name = v.id.format();
  v.backend = backend;
  v.torch = torch;
  v.cuda = cuda;
  for (const auto& k : config.kernels)
    if (k.backend == backend)
      v.sections.push_back(
          {k.name, backend == Backend::cuda ? archs : std::vector<std::string>{}, {}, k});
  return v;
}

Variant sample_noarch_variant(Backend backend) {
  Variant v;
  v.id.kind = VariantName::Kind::noarch;
  v.id.backend = backend;
  v.name = v.id.format();
  v.backend = backend;
  v.noarch = true;
  return v;
}

std::string golden_mismatch(const std::string& name, const std::string& actual) {
  std::string path = std::string(KB_TEST_DATA) + "/golden/" + name;
  const char* update = std::getenv("KB_UPDATE_GOLDEN");  // tests may read the environment
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return "missing golden file " + path + " (run with KB_UPDATE_GOLDEN=1 to create it)";
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return "";
  return "differs from " + path + " (KB_UPDATE_GOLDEN=1 rewrites it)\n--- expected\n" +
         expected.str() + "\n--- actual\n" + actual;
}

}  // namespace kb
