#pragma once
// The text of data/abi/*.json, compiled in by a build step (scripts/embed-abi-tables.py).

namespace kb::abi_data {

extern const char k_manylinux_policy_json[];    // data/abi/manylinux-policy.json
extern const char k_python_stable_abi_json[];   // data/abi/python-stable-abi.json
extern const char k_torch_stable_shims_json[];  // data/abi/torch-stable-shims.json

}  // namespace kb::abi_data
