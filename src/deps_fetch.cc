#include "src/deps_fetch.h"

#include <fmt/format.h>

#include "kb/path.h"

namespace kb {

namespace {

// Unpacks the members of a wheel (a zip) below a prefix into a directory, refusing any
// member that would land outside it. argv: WHEEL PREFIX DEST. Exit 0, or a message.
constexpr const char* k_unpack_script = R"PY(
import os, sys, zipfile
wheel, prefix, dest = sys.argv[1:4]
count = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        parts = name[len(prefix):].split("/")
        if any(p in ("", ".", "..") for p in parts) or "\\" in name:
            sys.exit("unsafe member in the wheel: " + name)
        target = os.path.join(dest, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as out:
            out.write(src.read())
        count += 1
if count == 0:
    sys.exit("the wheel has no " + prefix)
)PY";

constexpr std::string_view k_wheel_include = "cutlass_library/source/include/";

bool timed_out(int code) { return code == 124 || code == 137; }

std::string failure(const std::string& what, const Captured& c, int timeout_s) {
  if (timed_out(c.exit_code))
    return fmt::format("{} took longer than {} s and was stopped (KB_FETCH_TIMEOUT sets the limit)",
                       what, timeout_s);
  std::string line = failure_line(c);
  return fmt::format("{} failed (exit {}){}", what, c.exit_code, line.empty() ? "" : ": " + line);
}

}  // namespace

std::vector<std::string> with_timeout(int seconds, const std::vector<std::string>& argv) {
  std::vector<std::string> out{"timeout", "--kill-after=10", std::to_string(seconds)};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string failure_line(const Captured& c) {
  std::string first_fatal, last_error, last_line;
  for (const std::string* text : {&c.out, &c.err}) {
    for (std::string_view l : split_lines(*text)) {
      while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
      if (l.empty()) continue;
      last_line = std::string(l);
      if (l.starts_with("fatal:") && first_fatal.empty()) first_fatal = last_line;
      if (l.starts_with("ERROR:") || l.starts_with("error:")) last_error = last_line;
    }
  }
  if (!first_fatal.empty()) return first_fatal;
  return last_error.empty() ? last_line : last_error;
}

Result<std::string> fetch_from_pypi(const DepPin& pin, const std::string& stage,
                                    FetchContext& ctx) {
  const std::string requirement = pypi_requirement(pin);
  const std::string wheel_dir = join_path(stage, "wheel");
  KB_TRY(ctx.disk.make_dirs(wheel_dir));
  std::vector<std::string> tried;
  std::string python;
  for (const auto& py : ctx.pythons) {
    auto run = ctx.process.capture(
        with_timeout(ctx.timeout_s,
                     {py, "-m", "pip", "download", "--no-deps",
                      "--only-binary=:all:", "--disable-pip-version-check", "--no-input",
                      "--progress-bar", "off", "--dest", wheel_dir, requirement}),
        ctx.env);
    if (!run)
      return Error{
          "cannot run `timeout` (coreutils) to bound pip: " + run.errors().list.front().message,
          {},
          ""};
    if (run->exit_code == 127 || run->err.find("No module named pip") != std::string::npos) {
      tried.push_back(py);
      continue;
    }
    if (run->exit_code != 0)
      return Error{
          failure(fmt::format("pip download {} (with {})", requirement, py), *run, ctx.timeout_s),
          {},
          ""};
    python = py;
    break;
  }
  if (python.empty()) {
    std::string list;
    for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
    return Error{fmt::format("no Python with pip to download {} (tried: {})", requirement,
                             list.empty() ? "none" : list),
                 {},
                 ""};
  }
  auto files = ctx.disk.list_dir(wheel_dir);
  if (!files) return files.take_errors();
  std::string wheel;
  for (const auto& f : *files)
    if (f.ends_with(".whl")) wheel = f;
  if (wheel.empty())
    return Error{
        fmt::format("pip download {} left no wheel in {}", requirement, wheel_dir), {}, ""};
  auto unpack = ctx.process.capture(
      with_timeout(ctx.timeout_s, {python, "-c", k_unpack_script, join_path(wheel_dir, wheel),
                                   std::string(k_wheel_include), join_path(stage, "include")}),
      ctx.env);
  if (!unpack) return unpack.take_errors();
  if (unpack->exit_code != 0)
    return Error{failure(fmt::format("unpacking {}", wheel), *unpack, ctx.timeout_s), {}, ""};
  KB_TRY(ctx.disk.remove_all(wheel_dir));
  return fmt::format("{} ({})", requirement, wheel);
}

Result<std::string> fetch_from_git(const DepPin& pin, const std::string& url,
                                   const std::string& stage, FetchContext& ctx) {
  const std::string tag = git_tag(pin);
  const std::string src = join_path(stage, "src");
  Environment env = ctx.env;
  env.set("GIT_TERMINAL_PROMPT", "0");  // never wait for a password nobody will type
  auto run = ctx.process.capture(
      with_timeout(ctx.timeout_s, {"git", "-c", "advice.detachedHead=false", "clone", "--quiet",
                                   "--depth", "1", "--branch", tag, "--", url, src}),
      env);
  if (!run)
    return Error{
        "cannot run `timeout` (coreutils) to bound git: " + run.errors().list.front().message,
        {},
        ""};
  if (run->exit_code == 127) return Error{"git is not installed", {}, ""};
  if (run->exit_code != 0)
    return Error{
        failure(fmt::format("git clone --depth 1 --branch {} {}", tag, url), *run, ctx.timeout_s),
        {},
        ""};
  std::string include = join_path(src, "include");
  if (!ctx.disk.stat(include).is_dir)
    return Error{fmt::format("tag {} of {} has no include/ directory", tag, url), {}, ""};
  KB_TRY(ctx.disk.replace_dir(include, join_path(stage, "include")));
  KB_TRY(ctx.disk.remove_all(src));
  return fmt::format("{} {}", url, tag);
}

}  // namespace kb
