#include "kb/arch_select.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace kb {

namespace {

// The names a choice is known by, for messages.
struct ChoiceNames {
  std::string option;  // "--cuda-archs"
  std::string env;     // "KB_CUDA_ARCHS"
};

const ChoiceNames k_cuda_names{"--cuda-archs", "KB_CUDA_ARCHS"};
const ChoiceNames k_rocm_names{"--rocm-archs", "KB_ROCM_ARCHS"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

// "8.0; 9.0a,10.0f" -> {"8.0", "9.0a", "10.0f"}: split on ';', ',' and white space.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    if (c == ';' || c == ',' || std::isspace(static_cast<unsigned char>(c)))
      flush();
    else
      cur += c;
  }
  flush();
  return out;
}

// Why entry `e` is not acceptable ("" when it is).
using EntryCheck = std::string (*)(const std::string& e);

std::string check_cuda_entry(const std::string& e) {
  if (!is_valid_cuda_capability(e)) return "is not a CUDA capability";
  if (!cuda_capability_can_match(e))
    return "matches no target any supported CUDA builds (7.0 to 12.1)";
  return "";
}

std::string check_rocm_entry(const std::string& e) {
  if (e.size() < 6 || e.size() > 8 || e.rfind("gfx", 0) != 0) return "is not a gfx target";
  for (size_t i = 3; i < e.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(e[i])) ||
        std::isupper(static_cast<unsigned char>(e[i])))
      return "is not a gfx target";
  return "";
}

Result<ArchChoice> choose(const std::string& option, const std::optional<std::string>& env,
                          const ChoiceNames& names, EntryCheck check,
                          const std::string& list_hint) {
  ArchChoice choice;
  std::string text;
  std::string who;
  if (!option.empty()) {
    choice.source = ArchChoice::Source::option;
    text = option;
    who = names.option;
  } else if (env && !blank(*env)) {
    choice.source = ArchChoice::Source::environment;
    text = *env;
    who = names.env;
  } else {
    return choice;  // native by default
  }
  std::string word = lower(text);
  while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back()))) word.pop_back();
  while (!word.empty() && std::isspace(static_cast<unsigned char>(word.front()))) word.erase(0, 1);
  if (word == "native") return choice;
  if (word == "all") {
    choice.kind = ArchChoice::Kind::all;
    return choice;
  }
  std::vector<std::string> entries = split_list(text);
  const std::string hint = fmt::format("{} takes native, all or a list such as {}", who, list_hint);
  if (entries.empty())
    return Error{fmt::format("{}: empty list of archs", who), std::nullopt, hint};
  std::vector<Error> errors;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string why = check(entries[i]);
    if (!why.empty())
      errors.push_back(Error{fmt::format("{}: entry {} of {}, \"{}\", {}", who, i + 1,
                                         entries.size(), entries[i], why),
                             std::nullopt, hint});
    else if (std::find(choice.list.begin(), choice.list.end(), entries[i]) == choice.list.end())
      choice.list.push_back(entries[i]);
  }
  if (!errors.empty()) return Errors(std::move(errors));
  choice.kind = ArchChoice::Kind::list;
  return choice;
}

std::string source_name(const ArchChoice& c, const ChoiceNames& names) {
  return c.source == ArchChoice::Source::environment ? names.env : names.option;
}

// "9.0a+PTX" -> "9.0": the GPU a target names.
std::string plain_base(const std::string& cap) {
  auto c = parse_cuda_capability(cap);
  return c ? fmt::format("{}.{}", c->major, c->minor) : cap;
}

int number(const CudaCapability& c) { return c.major * 10 + c.minor; }

// How well entry `e` serves GPU `g`: 0 when it cannot run there; otherwise higher is
// better (exact "a", then family "f", then plain SASS of the same major, then PTX), and
// within a rank the newer entry wins.
int serve_rank(const CudaCapability& g, const CudaCapability& e) {
  const bool same_major = e.major == g.major && e.minor <= g.minor;
  int rank = 0;
  if (e.suffix == 'a')
    rank = (e.major == g.major && e.minor == g.minor) ? 4 : 0;
  else if (e.suffix == 'f')
    rank = same_major ? 3 : 0;
  else if (same_major)
    rank = 2;
  else if (e.ptx && number(e) <= number(g))
    rank = 1;
  return rank == 0 ? 0 : rank * 1000 + number(e);
}

// The entry of `entries` that serves GPU `gpu` best; nullopt when none runs on it.
std::optional<std::string> best_for_gpu(const std::vector<std::string>& entries,
                                        const std::string& gpu) {
  auto g = parse_cuda_capability(gpu);
  if (!g) return std::nullopt;
  std::optional<std::string> best;
  int best_rank = 0;
  for (const auto& e : entries) {
    auto c = parse_cuda_capability(e);
    if (!c) continue;
    int r = serve_rank(*g, *c);
    if (r > best_rank) best_rank = r, best = e;
  }
  return best;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void add_once(std::vector<std::string>& v, const std::string& s) {
  if (!contains(v, s)) v.push_back(s);
}

std::vector<std::string> stripped_targets(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& a : list) add_once(out, a.substr(0, a.find('+')));
  return out;
}

// "9.0" or "8.0 and 9.0" or "8.0, 8.6 and 9.0".
std::string and_list(const std::vector<std::string>& v) {
  if (v.size() <= 1) return v.empty() ? "" : v[0];
  std::vector<std::string> head(v.begin(), v.end() - 1);
  return fmt::format("{} and {}", fmt::join(head, ", "), v.back());
}

std::string strip_feature(const std::string& gfx) { return gfx.substr(0, gfx.find(':')); }

}  // namespace

Result<ArchChoice> choose_cuda_archs(const std::string& option,
                                     const std::optional<std::string>& env) {
  return choose(option, env, k_cuda_names, check_cuda_entry, "8.0;9.0a;10.0f;12.0+PTX");
}

Result<ArchChoice> choose_rocm_archs(const std::string& option,
                                     const std::optional<std::string>& env) {
  return choose(option, env, k_rocm_names, check_rocm_entry, "gfx90a;gfx942");
}

namespace {

// The selection of an `all` or LIST choice, which needs no GPU; nullopt for native.
std::optional<ArchSelection> given_selection(const ArchChoice& choice, const ChoiceNames& names) {
  if (choice.kind == ArchChoice::Kind::native) return std::nullopt;
  ArchSelection sel;
  sel.choice = choice;
  const std::string who = source_name(choice, names);
  if (choice.kind == ArchChoice::Kind::all) {
    sel.kind = ArchSelection::Kind::all;
    sel.reason = who + "=all";
    return sel;
  }
  sel.kind = ArchSelection::Kind::list;
  sel.targets = choice.list;
  sel.reason = who;
  return sel;
}

}  // namespace

ArchSelection resolve_cuda_archs(const ArchChoice& choice, const std::vector<std::string>& gpu_caps,
                                 const std::optional<Version>& cuda_version) {
  if (auto given = given_selection(choice, k_cuda_names)) return *given;
  ArchSelection sel;
  sel.choice = choice;
  const std::string who = source_name(choice, k_cuda_names);
  for (const auto& cap : gpu_caps) {
    auto c = parse_cuda_capability(cap);
    if (c && c->suffix == 0 && !c->ptx) add_once(sel.targets, cap);
  }
  std::sort(sel.targets.begin(), sel.targets.end(), natural_arch_less);
  if (sel.targets.empty()) {
    sel.kind = ArchSelection::Kind::all;
    sel.reason = "no GPU visible";
    if (choice.source != ArchChoice::Source::default_choice)
      sel.reason += fmt::format(" for {}=native", who);
    return sel;
  }
  sel.kind = ArchSelection::Kind::gpus;
  sel.reason = sel.targets.size() == 1 ? "this machine's GPU" : "this machine's GPUs";
  if (sel.targets.size() > 1)
    sel.notes.push_back(fmt::format("GPUs of capabilities {} are visible: building for each",
                                    and_list(sel.targets)));
  if (cuda_version) {
    const std::vector<std::string> defaults = default_cuda_archs(*cuda_version);
    const std::vector<std::string> targets = stripped_targets(defaults);
    const std::string cuda = cuda_version->major_minor();
    for (const auto& gpu : sel.targets) {
      if (contains(targets, gpu)) continue;
      auto best = best_for_gpu(defaults, gpu);
      if (best)
        sel.notes.push_back(
            fmt::format("GPU {} is not in CUDA {}'s list ({}): sections without cuda-capabilities "
                        "build {}, which runs on it",
                        gpu, cuda, fmt::join(defaults, ";"), *best));
      else
        sel.notes.push_back(fmt::format("GPU {}: nothing CUDA {} builds ({}) runs on it", gpu, cuda,
                                        fmt::join(defaults, ";")));
    }
  }
  return sel;
}

ArchSelection resolve_rocm_archs(const ArchChoice& choice,
                                 const std::vector<std::string>& gpu_gfx) {
  if (auto given = given_selection(choice, k_rocm_names)) return *given;
  ArchSelection sel;
  sel.choice = choice;
  const std::string who = source_name(choice, k_rocm_names);
  std::vector<std::string> seen, unsupported;
  for (const auto& g : gpu_gfx) add_once(seen, strip_feature(g));
  const auto& ref = reference_rocm_archs();
  for (const auto& r : ref)  // reference order
    if (contains(seen, r)) sel.targets.push_back(r);
  for (const auto& g : seen)
    if (!contains(ref, g)) unsupported.push_back(g);
  if (!unsupported.empty())
    sel.notes.push_back(fmt::format("GPU {} is not one of the supported ROCm targets ({}){}",
                                    and_list(unsupported), fmt::join(ref, ";"),
                                    sel.targets.empty() ? ": building all of them" : ": left out"));
  if (sel.targets.empty()) {
    sel.kind = ArchSelection::Kind::all;
    sel.reason = seen.empty() ? "no GPU visible" : "no supported GPU visible";
    if (choice.source != ArchChoice::Source::default_choice)
      sel.reason += fmt::format(" for {}=native", who);
    return sel;
  }
  sel.kind = ArchSelection::Kind::gpus;
  sel.reason = sel.targets.size() == 1 ? "this machine's GPU" : "this machine's GPUs";
  if (sel.targets.size() > 1)
    sel.notes.push_back(
        fmt::format("GPUs {} are visible: building for each", and_list(sel.targets)));
  return sel;
}

ArchIntersection cuda_section_archs(const std::optional<std::vector<std::string>>& section_caps,
                                    const ArchSelection& selection, const Version& cuda) {
  const std::vector<std::string> defaults = default_cuda_archs(cuda);
  const std::string cuda_text = cuda.major_minor();
  if (selection.kind == ArchSelection::Kind::all)
    return cuda_loose_intersection(section_caps ? *section_caps : defaults, defaults);

  if (!section_caps) {
    if (selection.kind == ArchSelection::Kind::list) {
      ArchIntersection out = cuda_loose_intersection(selection.targets, defaults);
      if (out.archs.empty())
        out.notes.push_back(fmt::format("{} ({}): nothing CUDA {} builds", selection.reason,
                                        fmt::join(selection.targets, ";"), cuda_text));
      return out;
    }
    // One GPU's capability each, as the reference's local build does for its one GPU.
    ArchIntersection out;
    const std::vector<std::string> targets = stripped_targets(defaults);
    for (const auto& gpu : selection.targets) {
      if (contains(targets, gpu)) {
        add_once(out.archs, gpu);
        continue;
      }
      if (auto best = best_for_gpu(defaults, gpu)) {
        add_once(out.archs, *best);
        out.notes.push_back(
            fmt::format("GPU {}: CUDA {} has no {} target; built {}, which runs on it", gpu,
                        cuda_text, gpu, *best));
      } else {
        out.notes.push_back(
            fmt::format("GPU {}: nothing CUDA {} builds runs on it", gpu, cuda_text));
      }
    }
    if (out.archs.empty()) {
      ArchIntersection all = cuda_loose_intersection(defaults, defaults);
      all.notes = out.notes;
      all.notes.push_back(fmt::format("no GPU of {} can be served: built CUDA {}'s full list",
                                      selection.reason, cuda_text));
      return all;
    }
    std::sort(out.archs.begin(), out.archs.end(), natural_arch_less);
    return out;
  }

  ArchIntersection full = cuda_loose_intersection(*section_caps, defaults);
  std::vector<std::string> gpus;
  for (const auto& t : selection.targets) add_once(gpus, plain_base(t));
  std::vector<std::string> chosen;
  for (const auto& gpu : gpus)
    if (auto best = best_for_gpu(full.archs, gpu)) add_once(chosen, *best);
  const std::string what = fmt::format("{} ({})", selection.reason, fmt::join(gpus, ";"));
  if (chosen.empty()) {
    if (!full.archs.empty())
      full.notes.push_back(
          fmt::format("none of {} runs on {}: built them all", fmt::join(full.archs, ";"), what));
    return full;
  }
  std::vector<std::string> left_out;
  for (const auto& a : full.archs)
    if (!contains(chosen, a)) left_out.push_back(a);
  std::sort(chosen.begin(), chosen.end(), natural_arch_less);
  ArchIntersection out{chosen, full.notes};
  if (!left_out.empty())
    out.notes.push_back(fmt::format("{}: left out for {}", fmt::join(left_out, ";"), what));
  return out;
}

ArchIntersection rocm_section_archs(const std::optional<std::vector<std::string>>& section_archs,
                                    const ArchSelection& selection,
                                    const std::vector<std::string>& compiler_targets) {
  const std::vector<std::string> none;
  if (selection.kind == ArchSelection::Kind::all)
    return rocm_intersection(section_archs ? *section_archs : none, section_archs.has_value(),
                             compiler_targets);
  if (!section_archs) {
    ArchIntersection out = rocm_intersection(selection.targets, true, compiler_targets);
    if (out.archs.empty())
      out.notes.push_back(fmt::format("{} ({}): no target left", selection.reason,
                                      fmt::join(selection.targets, ";")));
    return out;
  }
  ArchIntersection full = rocm_intersection(*section_archs, true, compiler_targets);
  std::vector<std::string> wanted;
  for (const auto& t : selection.targets) add_once(wanted, strip_feature(t));
  const std::string what = fmt::format("{} ({})", selection.reason, fmt::join(wanted, ";"));
  ArchIntersection out{{}, full.notes, full.compiler_drops};
  std::vector<std::string> left_out;
  for (const auto& a : full.archs) (contains(wanted, a) ? out.archs : left_out).push_back(a);
  if (out.archs.empty()) {
    if (!full.archs.empty())
      full.notes.push_back(
          fmt::format("none of {} is {}: built them all", fmt::join(full.archs, ";"), what));
    return full;
  }
  if (!left_out.empty())
    out.notes.push_back(fmt::format("{}: left out for {}", fmt::join(left_out, ";"), what));
  return out;
}

std::string describe_arch_selection(const ArchSelection& selection, const std::string& option) {
  switch (selection.kind) {
    case ArchSelection::Kind::gpus:
      return fmt::format("archs: {} ({}; {}=all for the full list)",
                         fmt::join(selection.targets, ";"), selection.reason, option);
    case ArchSelection::Kind::list:
      return fmt::format("archs: {} ({})", fmt::join(selection.targets, ";"), selection.reason);
    case ArchSelection::Kind::all:
      if (selection.choice.kind == ArchChoice::Kind::all)
        return fmt::format("archs: all supported ({})", selection.reason);
      return fmt::format("archs: all supported ({}; {}=LIST to choose)", selection.reason, option);
  }
  return "";
}

bool cuda_bundle_runs_on(const std::string& gpu_cap, const std::vector<std::string>& bundle_archs) {
  if (bundle_archs.empty()) return true;
  auto g = parse_cuda_capability(gpu_cap);
  if (!g) return false;
  for (const auto& a : bundle_archs) {
    auto c = parse_cuda_capability(a);
    if (c && serve_rank(*g, *c) > 0) return true;
  }
  return false;
}

std::optional<std::string> cuda_bundle_mismatch(const std::string& variant,
                                                const std::string& gpu_cap,
                                                const std::vector<std::string>& bundle_archs) {
  if (cuda_bundle_runs_on(gpu_cap, bundle_archs)) return std::nullopt;
  return fmt::format(
      "{} has no code for this GPU ({}): built for {} (rebuild with --cuda-archs=native or include "
      "{})",
      variant, gpu_cap, fmt::join(bundle_archs, ";"), gpu_cap);
}

bool rocm_bundle_runs_on(const std::string& gpu_gfx, const std::vector<std::string>& bundle_archs) {
  return bundle_archs.empty() || contains(bundle_archs, strip_feature(gpu_gfx));
}

}  // namespace kb
