// kb._kb, the extension behind the Python package kb (python/kb/__init__.py).
//
// Each function converts its arguments, runs the pipeline function the CLI runs, with the
// real Disk, Process and an Environment snapshot, and returns plain Python data: the dicts
// and lists of kb's JSON outputs (docs/schema/), so Python sees exactly what
// `kb ... --json` prints. A failed Result raises kb.KbError carrying every error; config
// warnings become Python warnings. Nothing here prints or exits: this is library code in
// someone else's process. The GIL is released while kb works (discovery may run probes).
//
// Built by python/kb/meson.build, not part of libkb.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/config.h"
#include "kb/discover.h"
#include "kb/json_output.h"
#include "kb/pipeline.h"

namespace py = pybind11;

namespace kb::python {

namespace {

using json = nlohmann::ordered_json;

// kb.KbError; created once at import and kept for the life of the process.
PyObject* g_kb_error = nullptr;

// A failed Result on its way out of a binding; the translator raises it as kb.KbError.
struct Failure {
  Errors errors;
};

template <class T>
T unwrap(Result<T> r) {
  if (!r.ok()) throw Failure{r.take_errors()};
  return std::move(r).value();
}

py::object to_python(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean: return py::bool_(j.get<bool>());
    case json::value_t::number_integer: return py::int_(j.get<int64_t>());
    case json::value_t::number_unsigned: return py::int_(j.get<uint64_t>());
    case json::value_t::number_float: return py::float_(j.get<double>());
    case json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(to_python(v));
      return out;
    }
    case json::value_t::object: {
      py::dict out;  // keeps kb's key order
      for (const auto& [k, v] : j.items()) out[py::str(k)] = to_python(v);
      return out;
    }
    default: return py::none();
  }
}

py::object from_json_text(const std::string& text) { return to_python(json::parse(text)); }

py::object none_if(bool absent, py::object value) { return absent ? py::none() : std::move(value); }

// {file, line, col, message, hint}: the shape of an error in kb's JSON outputs.
py::dict error_dict(const Error& e) {
  bool has = e.loc.has_value();
  py::dict d;
  d["file"] = none_if(!has || e.loc->file.empty(), py::str(has ? e.loc->file : ""));
  d["line"] = none_if(!has || e.loc->line <= 0, py::int_(has ? e.loc->line : 0));
  d["col"] = none_if(!has || e.loc->col <= 0, py::int_(has ? e.loc->col : 0));
  d["message"] = e.message;
  d["hint"] = none_if(e.hint.empty(), py::str(e.hint));
  return d;
}

// Sets kb.KbError as the current Python exception: str() is every error as the CLI prints
// it; file/line/col/message/hint are the first error's; errors holds them all.
void set_kb_error(const Errors& errors) {
  py::list all;
  std::string text;
  for (const auto& e : errors.list) {
    all.append(error_dict(e));
    text += (text.empty() ? "" : "\n") + format_error(e);
  }
  if (errors.list.empty()) {
    all.append(error_dict(Error{"unknown error", {}, ""}));
    text = "unknown error";
  }
  py::object exc = py::reinterpret_borrow<py::object>(g_kb_error)(text);
  py::dict first = all[0];
  for (const char* key : {"file", "line", "col", "message", "hint"}) exc.attr(key) = first[key];
  exc.attr("errors") = all;
  PyErr_SetObject(g_kb_error, exc.ptr());
}

// Issues config warnings (a v4 file read as is, ...) as UserWarning, worded as the CLI prints
// them.
void warn(const std::vector<Error>& warnings) {
  for (const auto& w : warnings) {
    std::string text = format_error(w, "warning");
    if (PyErr_WarnEx(PyExc_UserWarning, text.c_str(), 2) != 0) throw py::error_already_set();
  }
}

// The seams of a command run from Python: a fresh environment snapshot per call, so a
// change of os.environ (KB_TORCH, PATH, KB_CACHE_DIR) is seen by the next call.
struct RealIo {
  RealDisk disk;
  RealProcess process;
  Environment env = Environment::from_process();
  Io io{disk, process, env};
};

std::string absolute(const std::string& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) return p;
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// A directory is checked as `kb check-config DIR` checks it (including that the files named
// in src exist); a file is only parsed, so a build.toml can be read from anywhere. A missing
// path is taken as a directory: its error says there is no build.toml there.
Result<Config> read_config(const std::string& where, const Disk& disk) {
  FileStat st = disk.stat(where);
  if (st.is_dir || !st.exists) return load_config(where, disk);
  return load_config_file(where, disk);
}

py::object parse_config_py(const std::string& where) {
  std::string out;
  {
    py::gil_scoped_release nogil;
    RealDisk disk;
    out = config_to_json(unwrap(read_config(where, disk)));
  }
  return from_json_text(out);
}

py::object check_config_py(const std::string& where) {
  std::string out;
  {
    py::gil_scoped_release nogil;
    RealDisk disk;
    FileStat st = disk.stat(where);
    std::string path = st.is_dir || !st.exists
                           ? (where.ends_with('/') ? where : where + "/") + "build.toml"
                           : where;
    out = check_config_to_json(read_config(where, disk), path);
  }
  return from_json_text(out);
}

py::object discover_toolchains_py(const ToolchainQuery& query) {
  std::string out;
  {
    py::gil_scoped_release nogil;
    RealIo real;
    out = toolchains_to_json(unwrap(find_toolchains(query, real.io)));
  }
  return from_json_text(out);
}

py::object matrix_py(const std::string& dir, const ToolchainQuery& query, bool all) {
  std::string out;
  std::vector<Error> warnings;
  {
    py::gil_scoped_release nogil;
    RealIo real;
    auto report = unwrap(compute_matrix(dir, query, real.io));
    warnings = std::move(report.config.warnings);
    out = matrix_to_json(report.matrix, report.toolchains, all);
  }
  warn(warnings);
  return from_json_text(out);
}

json step_json(const std::string& output, const std::vector<std::string>& argv,
               const std::string& description) {
  return json{{"output", output}, {"argv", argv}, {"description", description}};
}

json variant_build_json(const VariantBuild& vb) {
  static const char* const tools[] = {"cxx", "nvcc", "hip"};
  json compiles = json::array();
  for (const auto& c : vb.compiles)
    compiles.push_back(json{{"tool", tools[static_cast<int>(c.tool)]},
                            {"source", c.source},
                            {"object", c.object},
                            {"depfile", c.depfile},
                            {"argv", c.argv},
                            {"description", c.description}});
  json copies = json::array();
  for (const auto& c : vb.copies) copies.push_back(json{{"from", c.from}, {"to", c.to}});
  json generated = json::object();
  for (const auto& [rel, content] : vb.generated) generated[rel] = content;
  return json{{"name", vb.variant.name},
              {"ops_name", vb.ops_name},
              {"work_dir", vb.work_dir},
              {"bundle_dir", vb.bundle_dir},
              {"nvcc_threads", vb.nvcc_threads},
              {"compiles", std::move(compiles)},
              {"link", vb.link ? step_json(vb.link->output, vb.link->argv, vb.link->description)
                               : json(nullptr)},
              {"copies", std::move(copies)},
              {"generated", std::move(generated)},
              {"metadata", json::parse(vb.metadata_json)}};
}

// What `kb build --dry-run` would run, as data: every variant's compiles, link, bundle
// files and metadata.
json prepared_json(const PreparedBuild& p) {
  json variants = json::array();
  for (const auto& vb : p.plan.variants) variants.push_back(variant_build_json(vb));
  return json{{"kernel_dir", p.options.kernel_dir},
              {"build_dir", p.options.build_dir},
              {"unique_id", p.options.unique_id},
              {"jobs", p.plan.jobs},
              {"nvcc_pool_depth", p.plan.nvcc_pool_depth},
              {"nvcc_threads_max", p.plan.nvcc_threads_max},
              {"nvcc_slots", p.plan.nvcc_slots},
              {"cuda_sources", p.plan.cuda_sources},
              {"variants", std::move(variants)}};
}

py::object plan_py(const std::string& dir, const std::vector<std::string>& variants,
                   const ToolchainQuery& query, const std::optional<std::string>& out_dir,
                   const std::optional<std::string>& unique_id, std::optional<int> jobs,
                   std::optional<int64_t> memory_budget,
                   const std::optional<std::string>& kb_path) {
  std::string out;
  std::vector<Error> warnings;
  {
    py::gil_scoped_release nogil;
    RealIo real;
    // The CLI's defaults (cores, MemAvailable), so Python plans exactly as `kb build` does.
    MachineFacts facts = read_machine_facts(
        real.disk,
        kb_path ? absolute(*kb_path) : find_in_path("kb", real.env, real.disk).value_or("kb"), "");
    Request req = default_request(absolute(dir), facts);
    if (out_dir) req.out_dir = absolute(*out_dir);
    req.variants = variants;
    if (jobs) req.jobs = *jobs;
    if (memory_budget) req.memory_budget_bytes = *memory_budget;
    req.unique_id = unique_id;
    req.query = query;
    auto prepared = unwrap(prepare_build(req, real.io));
    warnings = std::move(prepared.report.config.warnings);
    out = prepared_json(prepared).dump();
  }
  warn(warnings);
  return from_json_text(out);
}

ToolchainQuery make_query(std::vector<std::string> torch, std::vector<std::string> cuda,
                          std::vector<std::string> rocm, bool cache) {
  return ToolchainQuery{std::move(torch), std::move(cuda), std::move(rocm), cache};
}

}  // namespace

}  // namespace kb::python

PYBIND11_MODULE(_kb, m) {
  using namespace kb::python;
  using Strings = std::vector<std::string>;
  m.doc() = "kb's pipeline for Python; use the package kb, which wraps this module.";
  m.attr("__version__") = KB_VERSION;

  py::dict defaults;
  for (const char* key : {"file", "line", "col", "message", "hint"}) defaults[key] = py::none();
  defaults["errors"] = py::tuple();
  g_kb_error = PyErr_NewExceptionWithDoc(
      "kb.KbError",
      "A kb operation failed. str() gives every error as the kb CLI prints it; file, line, col,\n"
      "message and hint describe the first error (None when unknown); errors lists every error\n"
      "as a dict with those keys.",
      PyExc_Exception, defaults.ptr());
  if (!g_kb_error) throw py::error_already_set();
  m.attr("KbError") = py::handle(g_kb_error);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Failure& f) {
      set_kb_error(f.errors);
    }
  });

  m.def("parse_config", &parse_config_py, py::arg("path"));
  m.def("check_config", &check_config_py, py::arg("path"));
  m.def(
      "discover_toolchains",
      [](Strings torch, Strings cuda, Strings rocm, bool cache) {
        return discover_toolchains_py(make_query(torch, cuda, rocm, cache));
      },
      py::arg("torch"), py::arg("cuda"), py::arg("rocm"), py::arg("cache"));
  m.def(
      "matrix",
      [](const std::string& dir, Strings torch, Strings cuda, Strings rocm, bool all, bool cache) {
        return matrix_py(dir, make_query(torch, cuda, rocm, cache), all);
      },
      py::arg("dir"), py::arg("torch"), py::arg("cuda"), py::arg("rocm"), py::arg("all"),
      py::arg("cache"));
  m.def(
      "plan",
      [](const std::string& dir, const Strings& variants, Strings torch, Strings cuda, Strings rocm,
         bool cache, std::optional<std::string> out, std::optional<std::string> unique_id,
         std::optional<int> jobs, std::optional<int64_t> memory_budget,
         std::optional<std::string> kb) {
        return plan_py(dir, variants, make_query(torch, cuda, rocm, cache), out, unique_id, jobs,
                       memory_budget, kb);
      },
      py::arg("dir"), py::arg("variants"), py::arg("torch"), py::arg("cuda"), py::arg("rocm"),
      py::arg("cache"), py::arg("out"), py::arg("unique_id"), py::arg("jobs"),
      py::arg("memory_budget"), py::arg("kb"));
}
