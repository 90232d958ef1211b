#include "kb/unique_id.h"

#include <algorithm>
#include <set>

#include "kb/digest.h"
#include "kb/path.h"

namespace kb {

namespace {

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_object_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// RFC 4648 base32, lowercase alphabet, no padding.
std::string base32_lower(std::string_view bytes) {
  static constexpr char k_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += k_alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += k_alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

}  // namespace

Result<std::string> parse_commit_id(std::string_view rev_parse_output) {
  std::string_view id = trim(rev_parse_output);
  if (!is_object_id(id))
    return Error{"git printed '" + std::string(id) + "' where an object id was expected", {}, ""};
  return lower(id);
}

Result<std::string> unique_id_from_tree(std::string_view rev_parse_output, bool dirty) {
  auto id = parse_commit_id(rev_parse_output);
  if (!id) return id.take_errors();
  return id->substr(0, 7) + (dirty ? "_dirty" : "");
}

bool porcelain_is_dirty(std::string_view status_output) { return !trim(status_output).empty(); }

std::string content_unique_id(std::vector<std::pair<std::string, std::string>> files) {
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Length framing keeps ("ab","c") and ("a","bc") apart.
  std::string stream;
  for (const auto& [path, bytes] : files) {
    stream += std::to_string(path.size()) + ":" + path + "\n";
    stream += std::to_string(bytes.size()) + ":" + bytes + "\n";
  }
  return std::string(k_content_id_prefix) + base32_lower(sha256_raw(stream)).substr(0, 10);
}

Result<std::string> content_unique_id_of(const Config& config, const std::string& kernel_dir,
                                         const std::vector<std::string>& python_files,
                                         const Disk& disk) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& rel : content_id_inputs(config, python_files)) {
    auto bytes = disk.read_file(join_path(kernel_dir, rel));
    if (!bytes) return bytes.take_errors();
    files.emplace_back(rel, std::move(*bytes));
  }
  return content_unique_id(std::move(files));
}

std::vector<std::string> content_id_inputs(const Config& config,
                                           const std::vector<std::string>& python_files) {
  std::set<std::string> paths{"build.toml"};
  for (const auto& s : config.torch.src) paths.insert(s.value);
  for (const auto& k : config.kernels)
    for (const auto& s : k.src) paths.insert(s.value);
  std::string py_dir = "torch-ext/" + config.module_name() + "/";
  for (const auto& f : python_files) {
    if (digest_excludes(f)) continue;  // bytecode and __pycache__ are not sources
    paths.insert(py_dir + f);
  }
  return {paths.begin(), paths.end()};
}

Result<std::optional<GitState>> detect_git_state(const std::string& dir, Process& process,
                                                 const Environment& env) {
  std::optional<Error> stuck;
  auto git = [&](std::vector<std::string> args) -> std::optional<std::string> {
    std::vector<std::string> argv{"git", "-C", dir};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = process.capture(argv, env, k_probe_timeout);
    if (r && r->timed_out)
      stuck = Error{timeout_message(argv, k_probe_timeout),
                    {},
                    "check the repository (a hung file system, a lock), or pass --unique-id"};
    if (!r || r->exit_code != 0) return std::nullopt;
    return r->out;
  };
  // A failure of any of the three means "no usable git state": not a repository, no
  // commit yet (HEAD unborn), or no git on PATH. The caller falls back to the content id.
  // A git that hangs is an error: its answer is unknown, not absent.
  auto tree = git({"rev-parse", "HEAD^{tree}"});
  if (stuck) return *stuck;
  if (!tree) return std::optional<GitState>{};
  auto head = git({"rev-parse", "HEAD"});
  if (stuck) return *stuck;
  if (!head) return std::optional<GitState>{};
  auto status = git({"status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"});
  if (stuck) return *stuck;
  if (!status) return std::optional<GitState>{};

  GitState state;
  state.dirty = porcelain_is_dirty(*status);
  auto id = unique_id_from_tree(*tree, state.dirty);
  if (!id) return id.take_errors();
  auto commit = parse_commit_id(*head);
  if (!commit) return commit.take_errors();
  state.unique_id = std::move(*id);
  state.commit = std::move(*commit);
  return std::optional<GitState>{std::move(state)};
}

std::optional<Error> missing_git_note(Process& process, const Environment& env,
                                      const std::string& content_id) {
  if (process.capture({"git", "--version"}, env).ok()) return std::nullopt;
  return Error{
      "git cannot be run (not on PATH), so the op namespace is a content hash of the "
      "sources (" +
          content_id +
          ") rather than the git tree id, and the metadata "
          "names no commit",
      {},
      "install git (Debian: apt install git), or pass --unique-id"};
}

}  // namespace kb
