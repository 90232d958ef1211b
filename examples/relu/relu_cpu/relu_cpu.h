#pragma once
// CPU relu kernels. Torch-free like the GPU launchers (relu_cuda/relu.h): the binding
// passes raw pointers and the element count. out[i] = alpha * max(in[i], 0); 16-bit types
// are passed as raw bits. `out` may alias `in`.

#include <cstdint>

namespace relu_kernels {

void scaled_relu_cpu_f32(float* out, const float* in, int64_t n, float alpha);
void scaled_relu_cpu_f16(uint16_t* out, const uint16_t* in, int64_t n, float alpha);
void scaled_relu_cpu_bf16(uint16_t* out, const uint16_t* in, int64_t n, float alpha);

}  // namespace relu_kernels
