// Text kb hands to Nix, and the reading of what Nix and flake.nix say. Nothing here runs.

#include "flake.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <regex>

#include "kb/path.h"

namespace kb::nix {

namespace {

bool is_unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// Percent-encodes everything but unreserved characters and '/'; sets `changed` when it did.
std::string percent_encode(std::string_view text, bool& changed) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (is_unreserved(c) || c == '/') {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
      changed = true;
    }
  }
  return out;
}

// flake.nix with comments blanked out (newlines kept, so offsets still give line numbers).
// Strings are kept: "#" inside "..." or ''...'' is not a comment.
std::string without_comments(std::string_view text) {
  std::string out(text);
  enum { code, dq, indented, line_comment, block_comment } state = code;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    char next = i + 1 < out.size() ? out[i + 1] : '\0';
    switch (state) {
      case code:
        if (c == '#') {
          state = line_comment;
          out[i] = ' ';
        } else if (c == '/' && next == '*') {
          state = block_comment;
          out[i] = ' ';
        } else if (c == '"') {
          state = dq;
        } else if (c == '\'' && next == '\'') {
          state = indented;
          ++i;
        }
        break;
      case dq:
        if (c == '\\')
          ++i;
        else if (c == '"')
          state = code;
        break;
      case indented:
        if (c == '\'' && next == '\'') {
          // '''  and ''$ and ''\ are escapes inside indented strings.
          char after = i + 2 < out.size() ? out[i + 2] : '\0';
          if (after == '\'' || after == '$' || after == '\\')
            i += 2;
          else {
            state = code;
            ++i;
          }
        }
        break;
      case line_comment:
        if (c == '\n')
          state = code;
        else
          out[i] = ' ';
        break;
      case block_comment:
        if (c == '*' && next == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = code;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
    }
  }
  return out;
}

SourceLoc loc_at(std::string_view text, size_t offset, std::string_view path) {
  SourceLoc loc{std::string(path), 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else {
      ++loc.col;
    }
  }
  return loc;
}

// The end of the attribute set that follows `from` (the call's argument), or the end of the
// text when there is none. Works on comment-free text; braces inside strings are rare enough
// in a flake's call to genKernelFlakeOutputs to ignore.
size_t argument_set_end(std::string_view code, size_t from) {
  size_t open = code.find('{', from);
  if (open == std::string_view::npos) return code.size();
  int depth = 0;
  for (size_t i = open; i < code.size(); ++i) {
    if (code[i] == '{')
      ++depth;
    else if (code[i] == '}' && --depth == 0)
      return i + 1;
  }
  return code.size();
}

const char* k_canonical_call =
    "kernel-builder.lib.genKernelFlakeOutputs { inherit self; path = ./.; } with "
    "inputs.kernel-builder.url = \"github:huggingface/kernels\" (kb init-flake writes it)";

}  // namespace

Result<std::string> flake_ref(const KernelSource& source, const Version& nix_version) {
  bool encoded = false;
  if (!source.git_top) return "path:" + percent_encode(without_trailing_slash(source.dir), encoded);
  std::string ref =
      "git+file://" + percent_encode(without_trailing_slash(*source.git_top), encoded);
  std::string prefix = source.git_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) ref += "?dir=" + percent_encode(prefix, encoded);
  if (encoded && nix_version < *Version::parse("2.19"))
    return Error{"Nix " + nix_version.str() + " cannot read the kernel's git checkout '" +
                     *source.git_top +
                     "' as a flake: it does not decode %-escapes in git+file "
                     "URLs, and the path has characters outside [A-Za-z0-9-._~/]",
                 {},
                 "move or link the checkout to a plain path, or upgrade Nix to 2.19 or newer"};
  return ref;
}

std::vector<std::string> build_attributes(const std::vector<std::string>& variants) {
  if (variants.empty()) return {"bundle"};
  std::vector<std::string> attrs;
  for (const auto& v : variants) {
    bool plain = !v.empty() && !std::isdigit(static_cast<unsigned char>(v[0]));
    for (char c : v)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '\''))
        plain = false;
    attrs.push_back("redistributable." + (plain ? v : nix_string(v)));
  }
  return attrs;
}

std::string nix_string(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      out += "\\$";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Result<std::string> kernel_builder_ref(std::string_view ref) {
  if (ref.empty())
    return Error{
        "--kernel-builder needs a flake reference or a directory",
        {},
        "e.g. --kernel-builder github:huggingface/kernels or --kernel-builder /src/kernels"};
  if (ref.starts_with("/")) {
    bool encoded = false;
    return "path:" + percent_encode(without_trailing_slash(std::string(ref)), encoded);
  }
  if (ref.starts_with("./") || ref.starts_with("../") || ref == "." || ref == "..")
    return Error{"--kernel-builder '" + std::string(ref) + "' is a relative directory",
                 {},
                 "give an absolute path or a flake reference (path:/abs/dir, github:owner/repo)"};
  return std::string(ref);
}

std::string build_expression(const KernelSource& source, const SelfRevision& revision,
                             std::string_view kernel_builder, bool use_kernel_flake,
                             std::string_view output_set) {
  std::string src;
  if (source.git_top) {
    // fetchGit of a local checkout gives its tracked files (with uncommitted edits when the
    // tree is dirty): the same file set a git+file flake sees.
    std::string prefix = source.git_prefix;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    // A path value is what `path = ./.;` gives in a flake. Nix refuses to append a string
    // with store context to a path, and the store path exists already, so the context goes.
    std::string fetched =
        "(builtins.fetchGit { url = " + nix_string(without_trailing_slash(*source.git_top)) +
        "; }).outPath";
    if (!prefix.empty()) fetched = "(" + fetched + " + " + nix_string("/" + prefix) + ")";
    src = "/. + builtins.unsafeDiscardStringContext " + fetched;
  } else {
    src = "/. + " + nix_string(without_trailing_slash(source.dir));
  }

  std::string self;
  if (revision.rev.empty())
    self = "{ shortRev = " + nix_string(revision.short_rev) + "; }";
  else if (revision.dirty)
    self = "{ dirtyShortRev = " + nix_string(revision.short_rev + "-dirty") +
           "; dirtyRev = " + nix_string(revision.rev + "-dirty") + "; }";
  else
    self = "{ shortRev = " + nix_string(revision.short_rev) +
           "; rev = " + nix_string(revision.rev) + "; }";

  std::string e = "let\n";
  e += "  kernelBuilder = builtins.getFlake " + nix_string(kernel_builder) + ";\n";
  e += "  source = " + src + ";\n";
  e += "  revision = " + self + ";\n";
  if (use_kernel_flake) {
    // What Nix would pass to the flake's outputs function, with kernel-builder replaced.
    // Other inputs are not resolved; using one stops evaluation with this message.
    e += "  flake = import (source + \"/flake.nix\");\n";
    e += "  self = outputs // revision // { outPath = source; inherit outputs; "
         "inputs = { kernel-builder = kernelBuilder; }; };\n";
    e += "  missing = name: _: throw \"kb --kernel-builder provides only the inputs `self` and "
         "`kernel-builder`; flake.nix also uses input '${name}': build without "
         "--kernel-builder\";\n";
    e += "  outputs = flake.outputs (builtins.mapAttrs missing (builtins.functionArgs "
         "flake.outputs) // { inherit self; kernel-builder = kernelBuilder; });\n";
  } else {
    e += "  outputs = kernelBuilder.lib.genKernelFlakeOutputs { path = source; self = revision; "
         "};\n";
  }
  e += "in\n";
  e += "outputs." + std::string(output_set) + ".${builtins.currentSystem}\n";
  return e;
}

Result<std::vector<std::string>> parse_variants_json(std::string_view text) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  auto bad = Error{"`nix eval ...#variants --json` did not give a list of names: '" +
                       std::string(text.substr(0, 200)) + "'",
                   {},
                   "check that the flake's kernel-builder provides packages.<system>.variants"};
  if (!j.is_array()) return bad;
  std::vector<std::string> names;
  for (const auto& item : j) {
    if (!item.is_string()) return bad;
    names.push_back(item.get<std::string>());
  }
  return names;
}

FlakeCheck check_flake_nix(std::string_view text, std::string_view path,
                           const std::optional<std::string>& override_ref) {
  FlakeCheck check;
  const std::string code = without_comments(text);

  static const std::regex url_re(
      R"re(kernel-builder\s*(?:\.\s*url|=\s*\{[^}]*?\burl)\s*=\s*"([^"]*)")re");
  std::smatch m;
  if (std::regex_search(code, m, url_re)) check.builder_url = m[1].str();

  const std::string effective = override_ref ? *override_ref : check.builder_url.value_or("");
  const bool old_builder = effective.find("huggingface/kernel-builder") != std::string::npos;
  auto report = [&](size_t offset, std::string message, std::string hint) {
    Error e{std::move(message), loc_at(text, offset, path), std::move(hint)};
    (old_builder ? check.warnings : check.errors).push_back(std::move(e));
  };

  static const std::regex renamed_re(R"(\bgenFlakeOutputs\b)");
  if (std::regex_search(code, m, renamed_re))
    report(static_cast<size_t>(m.position(0)),
           "flake.nix calls genFlakeOutputs, which kernel-builder renamed to "
           "genKernelFlakeOutputs (the old name now stops evaluation)",
           std::string("use ") + k_canonical_call);

  static const std::regex gone_re(R"(\b(buildTorchExtensionBundle|mkTorchExtensionBundle)\b)");
  if (std::regex_search(code, m, gone_re))
    report(static_cast<size_t>(m.position(0)),
           "flake.nix uses lib.<system>." + m[1].str() + ", which kernel-builder no longer exports",
           std::string("use ") + k_canonical_call);

  static const std::regex gen_re(R"(\bgenKernelFlakeOutputs\b)");
  if (std::regex_search(code, m, gen_re)) {
    check.calls_gen_kernel = true;
    size_t call = static_cast<size_t>(m.position(0));
    std::string args = code.substr(call, argument_set_end(code, call) - call);
    static const std::regex rev_re(R"((^|[^.\w-])rev\s*=[^=])");
    static const std::regex self_re(R"(inherit\s[^;]*\bself\b|\bself\s*=\s*self\b)");
    std::smatch r;
    if (std::regex_search(args, r, rev_re))
      report(call + static_cast<size_t>(r.position(0)) + r[1].length(),
             "flake.nix passes `rev` to genKernelFlakeOutputs, which rejects it (deprecated)",
             "pass the flake's self instead: `inherit self;` in place of `rev = ...;`");
    else if (!std::regex_search(args, r, self_re))
      report(call,
             "flake.nix does not pass `self` to genKernelFlakeOutputs, which needs it for the "
             "bundle's unique id and provenance",
             "add `inherit self;` to the arguments");
  }

  if (!override_ref && old_builder && check.builder_url)
    check.warnings.push_back(Error{
        "flake.nix takes kernel-builder from " + *check.builder_url +
            ", the archived repository; kernel-builder now lives in github:huggingface/kernels",
        loc_at(text, code.find(*check.builder_url), path),
        std::string("switch to ") + k_canonical_call + ", then `nix flake update`"});
  return check;
}

std::string canonical_flake_nix(std::string_view kernel_builder) {
  return "{\n"
         "  description = \"Torch kernel built with kernel-builder\";\n"
         "\n"
         "  inputs.kernel-builder.url = " +
         nix_string(kernel_builder) +
         ";\n"
         "\n"
         "  outputs =\n"
         "    { self, kernel-builder, ... }:\n"
         "    kernel-builder.lib.genKernelFlakeOutputs {\n"
         "      inherit self;\n"
         "      path = ./.;\n"
         "    };\n"
         "}\n";
}

}  // namespace kb::nix
