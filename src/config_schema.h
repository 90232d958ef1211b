#pragma once
// Private to config*.cc: what build.toml may contain. Names of tables and keys, the enums
// of allowed values, and the value checks that need no TOML (names, git URLs).
//
// The schema is data so that the unknown-key checks, the did-you-mean hints and the
// "allowed values" hints all read from one place.

#include "kb/config.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::config_detail {

// The format a file is read as: edition 5, or the pre-edition v4 format.
enum class Edition { v4, v5 };

// Top-level tables: general, the three framework tables, kernel.
const std::vector<std::string>& top_level_tables();
// The framework table names, in the order messages list them.
const std::vector<std::string>& framework_tables();

// Keys of [general] for the edition (v4 lacks kernel-depends and the tpu sub-table).
std::vector<std::string> general_keys(Edition ed);
// Keys of [general.<sub>] for sub in hub, cuda, xpu, neuron, tpu; empty when `sub` has no table.
std::vector<std::string> general_sub_keys(std::string_view sub, Edition ed);

std::vector<std::string> torch_keys();
std::vector<std::string> tvm_ffi_keys();
// Both spellings of the arch keys: snake_case as kernel-builder implements them, and
// kebab-case as its docs write them.
std::vector<std::string> noarch_keys();

// kernel.*.backend values.
const std::vector<Backend>& kernel_backends();
// Every key any [kernel.*] table may hold, whatever its backend.
const std::vector<std::string>& kernel_keys();
// Whether `key` (one of kernel_keys()) is allowed in a kernel with backend `b`.
bool kernel_key_allowed(std::string_view key, Backend b);
// The backends whose kernels may use `key`, quoted for messages: "\"cuda\"".
std::string kernel_key_backends(std::string_view key);

// Names allowed in kernel.*.depends.
const std::vector<std::string>& dependency_names();

// Curated python-depends names for a scope: "general", "cuda", "xpu", "neuron", "tpu".
const std::vector<std::string>& python_depends_names(std::string_view scope);
// The scope a curated python-depends name belongs to, if it is curated at all.
std::optional<std::string> python_depends_scope(std::string_view name);

// A hint for a key that is unknown in `table` but has a known home elsewhere
// (legacy keys, arch keys in the wrong table); "" when there is nothing specific to say.
std::string misplaced_key_hint(std::string_view table, std::string_view key);

// Whether `name` matches ^[a-z][-a-z0-9]*[a-z0-9]$.
bool valid_kernel_name(std::string_view name);
// Whether `url` is a URL with a git-capable scheme or an SCP-like host:path.
bool valid_git_url(std::string_view url);

// The hint for a value outside an enum: "did you mean 'x'? " when one is close, then
// "allowed: a, b or c".
std::string choice_hint(const std::string& value, const std::vector<std::string>& allowed);
// "a, b or c" for messages.
std::string join_or(const std::vector<std::string>& items);
// Backend names as strings.
std::vector<std::string> backend_names(const std::vector<Backend>& backends);

}  // namespace kb::config_detail
