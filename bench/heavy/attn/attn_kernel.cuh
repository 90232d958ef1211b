// Attention forward, one query row per thread, keys and values staged through shared
// memory in tiles, softmax computed online. Every loop over the head dimension and over a
// key tile is unrolled, and each translation unit instantiates the kernel for two tile
// shapes and causal/non-causal, for one head dimension and dtype: like real attention kernels, the code
// is cheap to write and expensive to compile (tens of seconds per arch per file), which
// is what this benchmark kernel is for. It is correct, not fast.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

#include "attn.h"

namespace heavy_attn {

template <typename T>
__device__ __forceinline__ float to_float(T x);
template <>
__device__ __forceinline__ float to_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ float to_float<__half>(__half x) { return __half2float(x); }
template <>
__device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half from_float<__half>(float x) { return __float2half(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16(x); }

// out[bh, row, :] = softmax(scale * q[bh, row, :] . k[bh, :, :]^T) v[bh, :, :], for a
// [B*H, S, D] contiguous layout; block (blockIdx.x, blockIdx.y) takes rows
// blockIdx.x*BM .. +BM of head blockIdx.y.
template <typename T, int D, int BM, int BN, bool CAUSAL>
__global__ void __launch_bounds__(BM) attn_fwd(T* __restrict__ out, const T* __restrict__ q,
                                               const T* __restrict__ k, const T* __restrict__ v,
                                               int seq, float scale) {
  __shared__ float ks[BN][D];
  __shared__ float vs[BN][D];
  const size_t base = static_cast<size_t>(blockIdx.y) * seq * D;
  const int row = blockIdx.x * BM + threadIdx.x;
  const bool active = row < seq;

  float qr[D];
  float acc[D];
#pragma unroll
  for (int d = 0; d < D; ++d) {
    qr[d] = active ? to_float(q[base + static_cast<size_t>(row) * D + d]) * scale : 0.f;
    acc[d] = 0.f;
  }
  float m = -INFINITY;
  float l = 0.f;
  const int keys = CAUSAL ? min(seq, static_cast<int>((blockIdx.x + 1) * BM)) : seq;
  for (int n0 = 0; n0 < keys; n0 += BN) {
    __syncthreads();
    for (int i = threadIdx.x; i < BN * D; i += BM) {
      const int r = i / D, c = i % D, key = n0 + r;
      const size_t at = base + static_cast<size_t>(key) * D + c;
      ks[r][c] = key < seq ? to_float(k[at]) : 0.f;
      vs[r][c] = key < seq ? to_float(v[at]) : 0.f;
    }
    __syncthreads();
    float s[BN];
    float tile_max = m;
#pragma unroll
    for (int j = 0; j < BN; ++j) {
      float dot = 0.f;
#pragma unroll
      for (int d = 0; d < D; ++d) dot = fmaf(qr[d], ks[j][d], dot);
      const int key = n0 + j;
      const bool keep = key < seq && (!CAUSAL || key <= row);
      s[j] = keep ? dot : -INFINITY;
      tile_max = fmaxf(tile_max, s[j]);
    }
    if (tile_max == -INFINITY) continue;  // every key of this tile is masked for this row
    const float correction = __expf(m - tile_max);
    l *= correction;
#pragma unroll
    for (int d = 0; d < D; ++d) acc[d] *= correction;
#pragma unroll
    for (int j = 0; j < BN; ++j) {
      const float p = __expf(s[j] - tile_max);
      l += p;
#pragma unroll
      for (int d = 0; d < D; ++d) acc[d] = fmaf(p, vs[j][d], acc[d]);
    }
    m = tile_max;
  }
  if (!active) return;
  const float inv = l > 0.f ? 1.f / l : 0.f;
#pragma unroll
  for (int d = 0; d < D; ++d) out[base + static_cast<size_t>(row) * D + d] = from_float<T>(acc[d] * inv);
}

template <typename T, int D, int BM, int BN>
int launch_tile(const AttnArgs& a) {
  const dim3 grid((a.seq + BM - 1) / BM, a.batch_heads);
  auto stream = static_cast<cudaStream_t>(a.stream);
  T* out = static_cast<T*>(a.out);
  const T* q = static_cast<const T*>(a.q);
  const T* k = static_cast<const T*>(a.k);
  const T* v = static_cast<const T*>(a.v);
  if (a.causal)
    attn_fwd<T, D, BM, BN, true><<<grid, BM, 0, stream>>>(out, q, k, v, a.seq, a.scale);
  else
    attn_fwd<T, D, BM, BN, false><<<grid, BM, 0, stream>>>(out, q, k, v, a.seq, a.scale);
  return static_cast<int>(cudaGetLastError());
}

// Keys per tile: fewer for wide heads, so that every head dimension's translation units
// unroll about as much code (D x BN, about 1000 fused multiply-adds) and take about as long
// to compile.
constexpr int keys_per_tile(int head_dim) { return head_dim <= 32 ? 32 : head_dim <= 64 ? 16 : 1024 / head_dim; }

// Picks the rows per block from the sequence length; both shapes are instantiated, so each
// translation unit compiles all of them, causal and not.
template <typename T, int D>
int launch_dtype(const AttnArgs& a) {
  if (a.seq <= 0 || a.batch_heads <= 0) return 0;
  constexpr int BN = keys_per_tile(D);
  return a.seq >= 1024 ? launch_tile<T, D, 128, BN>(a) : launch_tile<T, D, 64, BN>(a);
}

}  // namespace heavy_attn
