#include "kb/ninja_writer.h"

#include <string>

namespace kb {

namespace {

// A short, printable excerpt of `text` for messages: control characters shown as \n, \r, \0.
std::string excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\0')
      out += "\\0";
    else
      out += c;
  }
  if (text.size() > 80) out += "...";
  return out;
}

std::string control_problem(std::string_view text) {
  for (char c : text) {
    if (c == '\n') return "a newline in \"" + excerpt(text) + "\"";
    if (c == '\r') return "a carriage return in \"" + excerpt(text) + "\"";
    if (c == '\0') return "a NUL character in \"" + excerpt(text) + "\"";
  }
  return {};
}

// Written in place of text Ninja cannot express, so the writer's text never carries it.
constexpr std::string_view k_placeholder = "<unrepresentable>";

}  // namespace

std::string ninja_value_problem(std::string_view text) { return control_problem(text); }

std::string ninja_path_problem(std::string_view path) {
  if (std::string p = control_problem(path); !p.empty()) return p;
  if (path.find('|') != std::string_view::npos) return "a '|' in \"" + excerpt(path) + "\"";
  return {};
}

std::string ninja_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

std::string ninja_escape_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '$' || c == ' ' || c == ':') out += '$';
    out += c;
  }
  return out;
}

void NinjaWriter::comment(std::string_view text) {
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    m_text += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

void NinjaWriter::newline() { m_text += '\n'; }

std::string_view NinjaWriter::checked_value(std::string_view where, std::string_view value) {
  std::string problem = ninja_value_problem(value);
  if (problem.empty()) return value;
  m_problems.push_back(std::string(where) + ": " + problem);
  return k_placeholder;
}

std::string NinjaWriter::checked_path(std::string_view path) {
  std::string problem = ninja_path_problem(path);
  if (problem.empty()) return ninja_escape_path(path);
  m_problems.push_back("path: " + problem);
  return std::string(k_placeholder);
}

void NinjaWriter::append_paths(std::string& out, const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    out += ' ';
    out += checked_path(p);
  }
}

void NinjaWriter::variable(std::string_view key, std::string_view value, int indent) {
  m_text.append(static_cast<size_t>(indent) * 2, ' ');
  m_text += checked_value("name", key);
  m_text += " = ";
  m_text += checked_value("variable '" + std::string(key) + "'", value);
  m_text += '\n';
}

void NinjaWriter::pool(std::string_view name, int depth) {
  m_text += "pool ";
  m_text += checked_value("pool name", name);
  m_text += '\n';
  variable("depth", std::to_string(depth), 1);
}

void NinjaWriter::rule(std::string_view name, const NinjaRule& rule) {
  m_text += "rule ";
  m_text += checked_value("rule name", name);
  m_text += '\n';
  variable("command", rule.command, 1);
  if (!rule.description.empty()) variable("description", rule.description, 1);
  if (!rule.depfile.empty()) variable("depfile", rule.depfile, 1);
  if (!rule.deps.empty()) variable("deps", rule.deps, 1);
  if (!rule.pool.empty()) variable("pool", rule.pool, 1);
  if (rule.generator) variable("generator", "1", 1);
  if (rule.restat) variable("restat", "1", 1);
}

void NinjaWriter::build(const NinjaBuild& edge) {
  std::string line = "build";
  append_paths(line, edge.outputs);
  if (!edge.implicit_outputs.empty()) {
    line += " |";
    append_paths(line, edge.implicit_outputs);
  }
  line += ": ";
  line += checked_value("rule name", edge.rule);
  append_paths(line, edge.inputs);
  if (!edge.implicit.empty()) {
    line += " |";
    append_paths(line, edge.implicit);
  }
  if (!edge.order_only.empty()) {
    line += " ||";
    append_paths(line, edge.order_only);
  }
  m_text += line;
  m_text += '\n';
  for (const auto& [key, value] : edge.variables) variable(key, value, 1);
}

void NinjaWriter::subninja(std::string_view path) {
  m_text += "subninja " + checked_path(path) + "\n";
}

void NinjaWriter::include(std::string_view path) {
  m_text += "include " + checked_path(path) + "\n";
}

void NinjaWriter::default_targets(const std::vector<std::string>& targets) {
  if (targets.empty()) return;
  std::string line = "default";
  append_paths(line, targets);
  m_text += line + "\n";
}

}  // namespace kb
