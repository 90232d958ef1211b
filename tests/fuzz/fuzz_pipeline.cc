#include "tests/fuzz/fuzz_pipeline.h"

#include <set>
#include <vector>

#include "backends/native/ninja_file.h"
#include "kb/build_plan.h"
#include "kb/config.h"
#include "kb/json_output.h"
#include "kb/matrix.h"
#include "kb/path.h"
#include "tests/fakes.h"

namespace kb::fuzz {

namespace {

constexpr const char* k_kernel_dir = "/k";
constexpr const char* k_build_dir = "/k/build";

// sample_toolchains() plus what it lacks for the ROCm and linker paths of the planner.
const Toolchains& fuzz_toolchains() {
  static const Toolchains tc = [] {
    Toolchains t = sample_toolchains();
    t.cuda[0].gpu_codes = {"sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"};
    TorchInstall rocm_torch = t.torches[0];
    rocm_torch.python = "/venvrocm/bin/python";
    rocm_torch.version_string = "2.11.0+rocm6.4";
    rocm_torch.cuda.reset();
    rocm_torch.hip = Version({6, 4});
    rocm_torch.root = "/venvrocm/torch";
    t.torches.push_back(rocm_torch);
    RocmToolkit rocm;
    rocm.root = "/opt/rocm-6.4.0";
    rocm.hipcc = "/opt/rocm-6.4.0/bin/hipcc";
    rocm.clang = "/opt/rocm-6.4.0/llvm/bin/clang++";
    rocm.version = Version({6, 4});
    rocm.hip_version = "6.4.43482";
    rocm.gfx_targets = {"gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100"};
    rocm.device_lib_path = "/opt/rocm-6.4.0/amdgcn/bitcode";
    t.rocm.push_back(rocm);
    t.cxx->linkers.push_back({"lld", "/usr/bin/ld.lld", "LLD 14.0.6"});
    return t;
  }();
  return tc;
}

bool below(const std::string& path, const std::string& dir) {
  if (path.compare(0, dir.size() + 1, dir + "/") != 0) return false;
  for (std::string_view part : {"/../", "/./"})
    if (path.find(part) != std::string::npos) return false;
  return !path.ends_with("/..") && !path.ends_with("/.");
}

// The variables kb's Ninja writer puts under a build line (ninja_file.cc), and the rule
// attributes under a rule line. Anything else indented under them was smuggled in.
const std::set<std::string>& edge_keys() {
  static const std::set<std::string> keys = {"cmd",    "desc",   "pool",     "depfile",
                                             "dyndep", "restat", "generator"};
  return keys;
}
const std::set<std::string>& rule_keys() {
  static const std::set<std::string> keys = {"command", "description", "depfile", "deps",
                                             "pool",    "generator",   "restat"};
  return keys;
}

}  // namespace

std::string check_ninja_text(std::string_view text, const std::string& file,
                             const std::set<std::string>* outputs) {
  static const std::set<std::string> k_rules = {"hipify", "cxx",    "nvcc",  "hip",
                                                "link",   "bundle", "regen", "phony"};
  enum class Block { none, rule, build, pool } block = Block::none;
  for (std::string_view line : split_lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("build ")) {
      // "build OUT...: RULE IN... [| IMPLICIT...] [|| ORDER...]": paths are separated by
      // unescaped spaces ("$ " is a space in a path, "$:" a colon).
      std::vector<std::string> tokens;  // unescaped
      std::string token;
      bool escaped_end = false;
      for (size_t i = 6; i <= line.size(); ++i) {
        if (i < line.size() && line[i] == '$' && i + 1 < line.size()) {
          token += line[i + 1];
          escaped_end = true;
          ++i;
        } else if (i == line.size() || line[i] == ' ') {
          if (!token.empty()) tokens.push_back(escaped_end ? token + "\x01" : token);
          token.clear();
          escaped_end = false;
        } else {
          token += line[i];
          escaped_end = false;
        }
      }
      // The outputs end at the first token with an unescaped trailing ':'.
      size_t colon = 0;
      while (colon < tokens.size() && !tokens[colon].ends_with(":")) ++colon;
      if (colon + 1 >= tokens.size())
        return file + ": a build line without ': RULE': '" + std::string(line.substr(0, 120)) + "'";
      tokens[colon].pop_back();
      if (!k_rules.contains(tokens[colon + 1]))
        return file + ": a build line with an unknown rule '" + tokens[colon + 1] + "'";
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string path = tokens[i];
        if (path.ends_with("\x01")) path.resize(path.size() - 1);
        if (i == colon + 1 || path == "|" || path == "||") continue;
        if (path.find('|') != std::string::npos)
          return file + ": a '|' inside a path on a build line: '" + path + "'";
        if (i <= colon && outputs && !path.empty() && !outputs->contains(path))
          return file + ": a build line for an output kb did not plan: '" + path + "'";
      }
    }
    if (line[0] != ' ') {
      block = line.starts_with("rule ")    ? Block::rule
              : line.starts_with("build ") ? Block::build
              : line.starts_with("pool ")  ? Block::pool
                                           : Block::none;
      bool statement = block != Block::none || line.starts_with("subninja ") ||
                       line.starts_with("include ") || line.starts_with("default ") ||
                       line.starts_with("ninja_required_version = ");
      if (!statement)
        return file + ": a top-level line the writer did not produce: '" +
               std::string(line.substr(0, 120)) + "'";
      continue;
    }
    size_t start = line.find_first_not_of(' ');
    size_t eq = line.find(" = ");
    std::string key(line.substr(start, eq == std::string_view::npos ? line.npos : eq - start));
    bool known = block == Block::build  ? edge_keys().contains(key)
                 : block == Block::rule ? rule_keys().contains(key)
                 : block == Block::pool ? key == "depth"
                                        : false;
    if (!known)
      return file + ": an indented line the writer did not produce: '" +
             std::string(line.substr(0, 120)) + "'";
  }
  return "";
}

namespace {

std::string check_errors(const Errors& errors, bool located) {
  if (errors.list.empty()) return "a failed result without errors";
  for (const auto& e : errors.list) {
    if (e.message.empty()) return "an error without a message";
    if (located && (!e.loc || e.loc->line < 1 || e.loc->col < 1))
      return "a config error without file:line:col: " + e.message;
    (void)format_error(e);
  }
  return "";
}

}  // namespace

std::string run_pipeline(std::string_view text) {
  auto config = parse_config(text, "build.toml");
  (void)check_config_to_json(config, "build.toml");
  if (!config) return check_errors(config.errors(), /*located=*/true);
  (void)config_to_json(*config);
  auto files = check_source_files(*config, [](const std::string&) {
    return FileStat{true, false, 1, 1};
  });
  if (!files) return "an existing regular file was reported: " + files.errors().list[0].message;

  const Toolchains& tc = fuzz_toolchains();
  auto matrix = make_matrix(*config, tc);
  if (!matrix) return check_errors(matrix.errors(), /*located=*/false);
  (void)matrix_to_json(*matrix, tc, true);
  (void)matrix_to_text(*matrix, true);

  BuildOptions options;
  options.kernel_dir = k_kernel_dir;
  options.build_dir = k_build_dir;
  options.unique_id = "fuzz123";
  options.kb_path = "/usr/bin/kb";
  options.linker = "lld";
  options.late_bound_namespace = text.size() % 2 == 0;  // both kinds of binding
  std::vector<std::string> python_files = {"__init__.py", "layers.py", "sub/util.pyi"};
  auto plan = make_build_plan(*config, tc, *matrix, options, python_files);
  if (!plan) return check_errors(plan.errors(), /*located=*/false);

  std::string kb_dir = std::string(k_build_dir) + "/.kb";
  for (const auto& vb : plan->variants) {
    if (vb.variant.name.find('/') != std::string::npos) return "a variant name with '/'";
    if (vb.bundle_dir != join_path(k_build_dir, vb.variant.name)) return "a bundle elsewhere";
    for (const auto& c : vb.compiles) {
      if (!below(c.object, kb_dir)) return "an object outside the build dir: " + c.object;
      if (!below(c.depfile, kb_dir)) return "a depfile outside the build dir: " + c.depfile;
    }
    for (const auto& h : vb.hipify)
      if (!below(h.output, kb_dir)) return "a hipified file outside the build dir: " + h.output;
    for (const auto& [path, content] : vb.work_files)
      if (!below(path, kb_dir)) return "a work file outside the build dir: " + path;
  }

  native::NinjaOptions nopts;
  nopts.build_dir = k_build_dir;
  nopts.kernel_dir = k_kernel_dir;
  nopts.kb_path = "/usr/bin/kb";
  nopts.build_toml = "/k/build.toml";
  auto rendered = native::render_ninja(*plan, nopts);
  // The writer refuses what Ninja cannot express, but such a value should never get this
  // far: parse_config rejects it with its file:line:col.
  if (!rendered)
    return "render_ninja refused what parse_config accepted: " +
           rendered.errors().list.front().message;
  const native::NinjaFiles& ninja = *rendered;
  std::set<std::string> outputs = {"all", "build.ninja"};
  for (const auto& vb : plan->variants) {
    outputs.insert(vb.variant.name);
    outputs.insert(vb.bundle_stamp);
    outputs.insert(native::variant_ninja_path(vb));
    for (const auto& c : vb.compiles) outputs.insert(c.object);
    for (const auto& h : vb.hipify) outputs.insert(h.output);
    if (vb.link) outputs.insert(vb.link->output);
  }
  if (auto bad = check_ninja_text(ninja.top.text, ninja.top.path, &outputs); !bad.empty())
    return bad;
  for (const auto& f : ninja.variants)
    if (auto bad = check_ninja_text(f.text, f.path, &outputs); !bad.empty()) return bad;
  return "";
}

}  // namespace kb::fuzz
