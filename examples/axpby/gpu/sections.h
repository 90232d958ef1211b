#pragma once
// What each section's own TU gives launch.cu: gpu/axpby_ampere.cu ([kernel.ampere]) and
// gpu/axpby_hopper.cu ([kernel.hopper]). The arguments and results are launch.h's.

#include <cstdint>

#include "../common/dtype.h"

namespace axpby_kernels {

const char* axpby_ampere(void* out, const void* x, const void* y, int64_t n, double a, double b,
                         DType dtype, void* stream);
const char* arch_probe_ampere(int32_t* out, void* stream);

const char* axpby_hopper(void* out, const void* x, const void* y, int64_t n, double a, double b,
                         DType dtype, void* stream);
const char* arch_probe_hopper(int32_t* out, void* stream);

}  // namespace axpby_kernels
