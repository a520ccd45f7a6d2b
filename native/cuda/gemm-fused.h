// A Linear layer and the kernel after it in one launch: Y[t, n] = X[t, k] · W[n, k]ᵀ on tensor
// cores (mma.sync: INT8 with exact int32 sums, or FP16 with FP32 sums), then in registers the
// epilogue of launch_dequant_activation: v = act(acc · in_scale · w_scales[n] + bias[n]), stored as
// T and / or quantized (int8 or FP8) for the next GEMM. The INT8 product never goes to memory as
// int32 (cuBLASLt cannot fuse this epilogue), which is most of what a Fully-Quant layer's QKV and
// FFN1 cost around their GEMMs. For int8 inputs the results are bit for bit those of cuBLASLt's
// int32 product followed by launch_dequant_activation's 16-byte kernel (same FP32 operations).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels.h"
#include "quant-kernels.h"

namespace samp::cuda {

/// Whether launch_gemm_fused takes n output columns and a reduction of k elements of In: n a
/// multiple of 128, k · sizeof(In) a multiple of 64 bytes, and output strides multiples of 8
/// (the launcher also wants x, w and out 16-byte aligned and q 8-byte aligned, as every buffer
/// of the encoder is).
template <typename In>
bool gemm_fused_supported(int n, int k, int ld_out, int ld_q);

/// out[r, c] = v and q[r, c] = code(v · inv) for v = act(dequant(Σ_i x[r, i] · w[c, i])), r <
/// tokens, c < n; either output may be null. x is [tokens, k] and w [n, k], both row-major and
/// dense. cudaErrorInvalidValue where gemm_fused_supported says no.
template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused(const In* x, const In* w, int tokens, int n, int k, const Dequant& dq,
                              Activation act, T* out, int ld_out, const QuantOut<Q>& q,
                              cudaStream_t stream);

/// Whether launch_gemm_fused_small takes the shape: as gemm_fused_supported with n a multiple of
/// 64.
template <typename In>
bool gemm_fused_small_supported(int n, int k, int ld_out, int ld_q);

/// launch_gemm_fused on 64 × 64 tiles for few tokens (gemm-fused-small.cu): the same contract and
/// the same results (bit for bit for int8); any GPU the mma.sync kernel runs on.
/// cudaErrorInvalidValue where not supported.
template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_small(const In* x, const In* w, int tokens, int n, int k,
                                    const Dequant& dq, Activation act, T* out, int ld_out,
                                    const QuantOut<Q>& q, cudaStream_t stream);

/// Whether launch_gemm_parts_small takes the shape: n a multiple of 64, k a multiple of `parts`
/// whose slices are multiples of 128.
bool gemm_parts_small_supported(int n, int k, int parts);

/// The k-split int8 product for few tokens on the small tiles: k cut into `parts` equal slices,
/// part s = x[:, slice s] · w[:, slice s]ᵀ written as exact int32 sums to out[s, tokens, n], for
/// the LayerNorm kernels to add up (InputParts), bit for bit GemmRunner::run_parts's. Unlike
/// cuBLASLt's kernels it keeps launch.h's contract, so it starts while the kernel before it ends,
/// its weights' first stages already queued. cudaErrorInvalidValue where not supported.
cudaError_t launch_gemm_parts_small(const int8_t* x, const int8_t* w, int tokens, int n, int k,
                                    int parts, int32_t* out, cudaStream_t stream);

/// Whether the current device runs the wgmma kernel (an H100-class GPU, compute capability 9.0,
/// and the sm_90a machine code loads).
bool gemm_fused_wgmma_available();

/// Whether launch_gemm_fused_wgmma takes the shape: as gemm_fused_supported, and k · sizeof(In)
/// a multiple of 128 bytes.
template <typename In>
bool gemm_fused_wgmma_supported(int n, int k, int ld_out, int ld_q);

/// launch_gemm_fused on Hopper's warpgroup tensor cores (gemm-wgmma.cu): the same contract and
/// the same results (bit for bit for int8). cudaErrorInvalidValue where not supported.
template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_wgmma(const In* x, const In* w, int tokens, int n, int k,
                                    const Dequant& dq, Activation act, T* out, int ld_out,
                                    const QuantOut<Q>& q, cudaStream_t stream);

/// Whether launch_gemm_layer_norm_wgmma takes the shape: n a multiple of 128 up to 1,024 (one
/// cluster of n / 128 blocks spans a row), k · sizeof(In) a multiple of 128 bytes, ld_q a multiple
/// of 8 (0 without codes).
template <typename In>
bool gemm_layer_norm_wgmma_supported(int n, int k, int ld_q);

/// out[r] = LayerNorm(x[r] · Wᵀ dequantized (in_scale · w_scales, + bias) + residual[r]) · gamma +
/// beta over rows of n, and q[r] the codes of the stored out[r] (one inverse scale; a null q
/// writes none): the Linear ahead of a LayerNorm with the LayerNorm in its epilogue
/// (gemm-wgmma-ln.cu), the operations of launch_layer_norm_quantize up to the order of the row
/// sums. Hopper (gemm_fused_wgmma_available); cudaErrorInvalidValue where not supported. `out`
/// must not alias `residual`.
template <typename In, typename T, typename Q>
cudaError_t launch_gemm_layer_norm_wgmma(const In* x, const In* w, int tokens, int n, int k,
                                         const Dequant& dq, const T* residual, const float* gamma,
                                         const float* beta, float eps, T* out, const QuantOut<Q>& q,
                                         cudaStream_t stream);

/// Lets the LayerNorm-epilogue kernels use their 97 KiB of shared memory.
cudaError_t allow_gemm_layer_norm_wgmma_shared_bytes();

/// Whether the warp-specialized TMA kernel of gemm-wgmma-tma.cu runs here: the wgmma kernel does
/// and the driver gives cuTensorMapEncodeTiled.
bool gemm_fused_tma_available();

/// Whether launch_gemm_fused_tma takes the shape: as gemm_fused_wgmma_supported.
template <typename In>
bool gemm_fused_tma_supported(int n, int k, int ld_out, int ld_q);

/// launch_gemm_fused_wgmma as a persistent kernel whose three TMA-fed consumers take tiles in turn,
/// the others' epilogues overlapping one's products (gemm-wgmma-tma.cu): the same contract and
/// results (bit for bit for int8; FP16 sums rounded to FP16 before the epilogue, as cuBLASLt's FP16
/// output is before the separate bias + activation kernel); int8 and FP16 inputs.
template <typename In, typename T, typename Q>
cudaError_t launch_gemm_fused_tma(const In* x, const In* w, int tokens, int n, int k,
                                  const Dequant& dq, Activation act, T* out, int ld_out,
                                  const QuantOut<Q>& q, cudaStream_t stream);

/// Lets the TMA kernels use their 197 KiB of shared memory.
cudaError_t allow_gemm_fused_tma_shared_bytes();

/// Lets the wgmma kernels use their 97 KiB of shared memory (where gemm_fused_wgmma_available).
cudaError_t allow_gemm_fused_wgmma_shared_bytes();

/// Lets every launch_gemm_fused kernel use the 64 KiB of shared memory its pipeline needs, on the
/// current device (call once per device before launching; not a stream operation).
cudaError_t allow_gemm_fused_shared_bytes();

/// The same for launch_gemm_fused_small's kernels (64 KiB).
cudaError_t allow_gemm_fused_small_shared_bytes();

}  // namespace samp::cuda
