// `kb check-abi`, and the ABI verdict `kb build` gives each bundle it writes (docs/abi.md).
#include <set>

#include "kb/abi_check.h"
#include "kb/path.h"
#include "src/pipeline_parts.h"

namespace kb {

namespace {

// The options of `request`. Fails on a --python-abi that is no version.
Result<AbiOptions> abi_options(const Request& request) {
  AbiOptions options;
  options.manylinux = request.manylinux;
  auto python = Version::parse(request.python_abi);
  if (!python)
    return Error{
        "--python-abi must be a CPython version such as 3.9, not '" + request.python_abi + "'",
        {},
        ""};
  options.python_abi = *python;
  return options;
}

bool is_linux_variant(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, "-linux") == 0;
}

}  // namespace

namespace command {

Result<std::vector<VariantVerdict>> check_abi(const Request& request, Io& io) {
  auto options = abi_options(request);
  if (!options) return options.take_errors();
  auto tables = builtin_abi_tables();
  if (!tables) return tables.take_errors();
  return check_abi_tree(io.disk, request.kernel_dir, *tables, *options);
}

}  // namespace command

namespace command_parts {

Result<std::vector<VariantVerdict>> check_built_bundles(const Request& request,
                                                        const BuildPlan& plan,
                                                        const native::NativeOutcome& ran, Io& io) {
  std::vector<VariantVerdict> verdicts;
  if (request.abi == "off") return verdicts;
  auto options = abi_options(request);
  if (!options) return options.take_errors();
  // Only the bundles this build wrote: an up-to-date bundle was judged when it was written.
  std::set<std::string> written;
  for (const auto& e : ran.log_entries)
    written.insert(e.output.starts_with("/") ? e.output : join_path(ran.ninja_dir, e.output));
  std::optional<AbiTables> tables;  // parsed only when a bundle was written
  for (const auto& vb : plan.variants) {
    if (!is_linux_variant(vb.variant.name) || !written.contains(vb.bundle_stamp)) continue;
    if (!tables) {
      KB_TRY_ASSIGN(tables, builtin_abi_tables());
    }
    verdicts.push_back(check_variant_abi(io.disk, vb.bundle_dir, *tables, *options));
  }
  return verdicts;
}

}  // namespace command_parts

}  // namespace kb
