// nvcc's trajectory as a graph (kb/nvcc_steps.h).

#include "kb/nvcc_steps.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "kb/path.h"
#include "kb/shell.h"

namespace kb {

namespace {

Error step_error(std::string message) {
  return Error{std::move(message), std::nullopt, "kb runs nvcc as it is"};
}

bool is_assignment(std::string_view line) {
  size_t eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  for (size_t i = 0; i < eq; ++i) {
    char c = line[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The `#$ ` lines of a dry run, without the marker.
std::vector<std::string> dryrun_lines(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view line : split_lines(text))
    if (line.starts_with("#$ ")) lines.emplace_back(line.substr(3));
  return lines;
}

// The characters that end a path in nvcc's step texts.
constexpr std::string_view k_path_ends = "\"' ,;\t";

// Every path below `dir` the command names (quoted or not, also inside "file=..." values).
std::set<std::string> paths_below(std::string_view command, const std::string& dir) {
  std::set<std::string> out;
  std::string prefix = dir + "/";
  size_t pos = 0;
  while ((pos = command.find(prefix, pos)) != std::string_view::npos) {
    size_t end = command.find_first_of(k_path_ends, pos);
    if (end == std::string_view::npos) end = command.size();
    out.emplace(command.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// Removes the word `word` (with one following space) from `command`; false when absent.
bool remove_word(std::string& command, std::string_view word) {
  size_t pos = 0;
  while ((pos = command.find(word, pos)) != std::string::npos) {
    size_t end = pos + word.size();
    bool starts = pos == 0 || command[pos - 1] == ' ';
    bool ends = end == command.size() || command[end] == ' ';
    if (starts && ends) {
      command.erase(pos, end < command.size() ? word.size() + 1 : word.size());
      return true;
    }
    pos = end;
  }
  return false;
}

std::string first_word(std::string_view command) {
  size_t end = command.find(' ');
  return std::string(command.substr(0, end));
}

bool is_cudafe(std::string_view command) {
  std::string tool = first_word(command);
  return tool == "cudafe++" || tool.ends_with("/cudafe++") || tool.ends_with("/cudafe++\"");
}

// The --module_id_file_name value of a command; "" when absent.
std::string module_id_file_of(std::string_view command) {
  std::string_view flag = "--module_id_file_name \"";
  size_t pos = command.find(flag);
  if (pos == std::string_view::npos) return "";
  pos += flag.size();
  size_t end = command.find('"', pos);
  return end == std::string_view::npos ? "" : std::string(command.substr(pos, end - pos));
}

// Orders the steps: each after the first step naming each intermediate file it names (the
// step that wrote it); the last one, and any naming none, after every earlier step.
void add_dependencies(std::vector<NvccStep>& steps, const std::string& keep_dir,
                      const std::string& module_id_file) {
  std::map<std::string, size_t> writer;
  for (size_t i = 0; i < steps.size(); ++i) {
    std::set<size_t> after;
    std::set<std::string> paths = paths_below(steps[i].command, keep_dir);
    paths.erase(module_id_file);
    for (const auto& p : paths) {
      auto [it, first] = writer.emplace(p, i);
      if (!first) after.insert(it->second);
    }
    if (paths.empty() || i + 1 == steps.size())
      for (size_t j = 0; j < i; ++j) after.insert(j);
    steps[i].after.assign(after.begin(), after.end());
  }
}

}  // namespace

Result<NvccCall> parse_nvcc_call(const std::vector<std::string>& argv) {
  NvccCall call;
  bool md = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    bool has_next = i + 1 < argv.size();
    if (a == "-MD") {
      md = true;
      continue;
    }
    if (a == "-MF" && has_next) {
      call.depfile = argv[++i];
      continue;
    }
    if (a == "-o" && has_next) call.object = argv[i + 1];
    if (a == "-c" && has_next) call.source = argv[i + 1];
    if ((a == "--threads" || a == "-t") && has_next) call.threads = std::atoi(argv[i + 1].c_str());
    call.argv.push_back(a);
  }
  if (call.source.empty() || call.object.empty())
    return step_error("the nvcc command has no '-c SOURCE' or no '-o OBJECT'");
  if (!call.depfile.empty() && !md) return step_error("the nvcc command has -MF without -MD");
  if (md && call.depfile.empty()) return step_error("the nvcc command has -MD without -MF");
  return call;
}

std::vector<std::string> nvcc_dryrun_args(const std::string& keep_dir) {
  return {"-keep", "--keep-dir", keep_dir, "-dryrun"};
}

std::string nvcc_module_id(std::string_view source, std::string_view object) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits
  for (unsigned char c : object) h = (h ^ c) * 1099511628211ull;
  std::string_view name = source.substr(source.find_last_of('/') + 1);
  std::string clean;
  for (char c : name) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    clean += keep ? c : '_';
  }
  return fmt::format("_{:016x}_{}_{}", h, clean.size(), clean);
}

Result<NvccSchedule> schedule_nvcc_steps(std::string_view dryrun_output, const NvccCall& call,
                                         const std::string& keep_dir) {
  // Intermediate paths are found in the step texts by where they end (a quote, a space, a
  // comma): a directory or source name holding such a character would cut them short.
  std::string_view name = std::string_view(call.source).substr(call.source.find_last_of('/') + 1);
  for (std::string_view part : {std::string_view(keep_dir), name})
    if (part.find_first_of(k_path_ends) != std::string_view::npos)
      return step_error(fmt::format("'{}' holds a space, quote or separator", part));
  NvccSchedule s;
  for (auto& line : dryrun_lines(dryrun_output)) {
    if (s.steps.empty() && is_assignment(line)) {
      size_t eq = line.find('=');
      std::string value = line.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      s.variables.emplace_back(line.substr(0, eq), std::move(value));
      continue;
    }
    if (line.starts_with("--") || line.starts_with("-- "))
      return step_error(fmt::format("nvcc runs a step of its own: {}", line));
    s.steps.push_back({.command = std::move(line), .after = {}});
  }
  if (s.steps.size() < 2) return step_error("nvcc's dry run printed no steps");
  auto cudafe = std::find_if(s.steps.begin(), s.steps.end(),
                             [](const NvccStep& st) { return is_cudafe(st.command); });
  if (cudafe == s.steps.end()) return step_error("nvcc's dry run has no cudafe++ step");
  s.module_id_file = module_id_file_of(cudafe->command);
  if (!s.module_id_file.starts_with(keep_dir + "/") ||
      !remove_word(cudafe->command, "--gen_module_id_file"))
    return step_error("cudafe++ generates no module id file in the keep directory");
  s.module_id = nvcc_module_id(call.source, call.object);
  if (!call.depfile.empty()) {
    // Each preprocessing step (host and one per arch) lists what it read: a header included
    // only under __CUDA_ARCH__ is in the device steps' lists alone.
    for (size_t i = 0; i < s.steps.size(); ++i) {
      if (s.steps[i].command.find(" -E ") == std::string::npos) continue;
      std::string part = fmt::format("{}/kb-deps.{}", keep_dir, i);
      s.steps[i].command +=
          fmt::format(" -MD -MF {} -MT {}", shell_quote(part), shell_quote(call.object));
      s.depfile_parts.push_back(std::move(part));
    }
    if (s.depfile_parts.empty()) return step_error("nvcc's dry run has no preprocessing step");
  }
  add_dependencies(s.steps, keep_dir, s.module_id_file);
  return s;
}

}  // namespace kb
