#include "kb/variant.h"

#include <cctype>
#include <vector>

#include <fmt/format.h>

namespace kb {

namespace {

// The compute token's prefix for versioned backends ("cu" for CUDA); empty for the others.
std::string_view versioned_prefix(Backend b) {
  switch (b) {
    case Backend::cuda: return "cu";
    case Backend::rocm: return "rocm";
    case Backend::xpu: return "xpu";
    case Backend::cann: return "cann";
    default: return "";
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "<major digit><minor digits>" as the loader reads framework versions: "211" -> 2.11,
// "01" -> 0.1. A minor with a leading zero ("201") would not format back the same way.
std::optional<Version> framework_version(std::string_view digits) {
  if (digits.size() < 2 || !all_digits(digits)) return std::nullopt;
  std::string_view minor = digits.substr(1);
  if (minor.size() > 1 && minor.front() == '0') return std::nullopt;
  return Version({digits[0] - '0', std::stoi(std::string(minor))});
}

// "<major digits><one minor digit>", the loader's greedy reading of cu/rocm/xpu versions:
// "130" -> 13.0, "20253" -> 2025.3.
std::optional<Version> compute_version(std::string_view digits) {
  if (digits.size() < 2 || !all_digits(digits)) return std::nullopt;
  std::string_view major = digits.substr(0, digits.size() - 1);
  if (major.size() > 1 && major.front() == '0') return std::nullopt;
  return Version({std::stoi(std::string(major)), digits.back() - '0'});
}

std::vector<std::string_view> split_dash(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t d = s.find('-');
    out.push_back(s.substr(0, d));
    if (d == std::string_view::npos) break;
    s.remove_prefix(d + 1);
  }
  return out;
}

Error bad(std::string_view name, std::string what, std::string hint = "") {
  return Error{fmt::format("invalid variant name \"{}\": {}", name, what), std::nullopt,
               std::move(hint)};
}

constexpr std::string_view k_forms =
    "variant names look like torch211-cxx11-cu130-x86_64-linux, "
    "torch-stable-abi211-cu130-x86_64-linux, "
    "tvm-ffi01-cu130-x86_64-linux or torch-cuda";

// The compute token of `name` ("cpu", "cu130", "rocm64", ...) into v.backend and v.compute.
Result<Ok> read_compute(std::string_view name, std::string_view compute, VariantName& v) {
  if (compute == "cpu" || compute == "metal" || compute == "tpu" || compute == "neuron") {
    v.backend = *parse_backend(compute);
    return Ok{};
  }
  for (Backend b : {Backend::rocm, Backend::cuda, Backend::xpu, Backend::cann}) {
    std::string_view prefix = versioned_prefix(b);
    if (compute.substr(0, prefix.size()) != prefix) continue;
    auto cv = compute_version(compute.substr(prefix.size()));
    if (!cv)
      return bad(name, fmt::format("bad {} version in \"{}\" (expected e.g. {}130 for 13.0)",
                                   to_string(b), compute, prefix));
    v.backend = b;
    v.compute = *cv;
    return Ok{};
  }
  return bad(name, fmt::format("unknown compute \"{}\"", compute),
             "compute is cpu, metal, tpu, neuron, cu<XY>, rocm<XY>, xpu<YYYYM> or cann<XY>");
}

}  // namespace

std::string VariantName::format() const {
  if (kind == Kind::noarch) return fmt::format("torch-{}", to_string(backend));
  std::string token;
  std::string_view prefix = versioned_prefix(backend);
  if (prefix.empty())
    token = to_string(backend);
  else
    token = fmt::format("{}{}", prefix, compute.value_or(Version()).flat());
  std::string head;
  switch (kind) {
    case Kind::torch:
      head = "torch" + framework.flat();
      if (os == "linux") head += "-cxx11";  // the reference always tags Linux builds
      break;
    case Kind::stable_abi: head = "torch-stable-abi" + framework.flat(); break;
    case Kind::tvm_ffi: head = "tvm-ffi" + framework.flat(); break;
    case Kind::noarch: break;
  }
  return fmt::format("{}-{}-{}-{}", head, token, cpu, os);
}

Result<VariantName> VariantName::parse(std::string_view name) {
  VariantName v;
  if (name.empty()) return bad(name, "empty name", std::string(k_forms));
  std::vector<std::string_view> parts = split_dash(name);
  size_t i = 0;  // index of the first part after the framework head

  if (parts[0] == "torch" && !name.starts_with("torch-stable-abi")) {
    if (parts.size() != 2)
      return bad(name, "a noarch name is torch-<backend>; an arch name starts with torch<MAJ><MIN>",
                 std::string(k_forms));
    auto b = parse_backend(parts[1]);
    if (!b)
      return bad(name, fmt::format("unknown noarch backend \"{}\"", parts[1]),
                 "noarch backends: cann, cpu, cuda, metal, neuron, rocm, tpu, xpu");
    v.kind = Kind::noarch;
    v.backend = *b;
    return v;
  }

  // The framework head: its kind, its version digits and how many parts it spans.
  std::string_view digits, what, example;
  if (name.starts_with("torch-stable-abi")) {  // "torch", "stable", "abi211"
    v.kind = Kind::stable_abi;
    digits = parts.size() > 2 ? parts[2].substr(3) : std::string_view();
    what = "stable-ABI", example = "211 for 2.11", i = 3;
  } else if (name.starts_with("tvm-ffi")) {  // "tvm", "ffi01"
    v.kind = Kind::tvm_ffi;
    digits = parts[1].substr(3);
    what = "tvm-ffi", example = "01 for 0.1", i = 2;
  } else if (parts[0].starts_with("torch")) {  // "torch211"
    v.kind = Kind::torch;
    digits = parts[0].substr(5);
    what = "torch", example = "211 for 2.11", i = 1;
  } else {
    return bad(name, fmt::format("unknown framework \"{}\"", parts[0]), std::string(k_forms));
  }
  auto fw = framework_version(digits);
  if (!fw)
    return bad(name,
               fmt::format("bad {} version \"{}\" (expected e.g. {})", what, digits, example));
  v.framework = *fw;

  // Optional C++ ABI tag, then exactly compute-cpu-os.
  bool cxx11 = false;
  if (i < parts.size() && (parts[i] == "cxx11" || parts[i] == "cxx98")) {
    if (v.kind != Kind::torch)
      return bad(name,
                 fmt::format("the \"{}\" tag is only used on torch<MAJ><MIN> names", parts[i]));
    if (parts[i] == "cxx98")
      return bad(name, "the \"cxx98\" tag (pre-C++11 ABI) is not produced by kb",
                 "build against a Torch that uses the C++11 ABI");
    cxx11 = true;
    ++i;
  }
  if (parts.size() - i != 3)
    return bad(name,
               fmt::format("expected <compute>-<cpu>-<os> after the framework, found \"{}\"",
                           i < parts.size() ? name.substr(parts[i].data() - name.data())
                                            : std::string_view()),
               std::string(k_forms));
  std::string_view compute = parts[i], cpu = parts[i + 1], os = parts[i + 2];

  KB_TRY(read_compute(name, compute, v));

  if (cpu != "x86_64" && cpu != "aarch64")
    return bad(name, fmt::format("unknown cpu \"{}\" (expected x86_64 or aarch64)", cpu));
  if (os != "linux" && os != "darwin" && os != "windows")
    return bad(name, fmt::format("unknown os \"{}\" (expected linux, darwin or windows)", os));
  v.cpu = std::string(cpu);
  v.os = std::string(os);

  if (v.kind == Kind::torch && os == "linux" && !cxx11)
    return bad(name, "Linux torch<MAJ><MIN> names carry the \"cxx11\" tag in kb",
               fmt::format("write {}", v.format()));
  if (v.kind == Kind::torch && os != "linux" && cxx11)
    return bad(name, fmt::format("the \"cxx11\" tag is only used on Linux, not on {}", os),
               fmt::format("write {}", v.format()));
  return v;
}

}  // namespace kb
