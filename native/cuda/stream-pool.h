// Streams kept for the process: a session takes its streams from its device's pool (making one
// when the pool is empty) and puts them back when it ends, instead of destroying them. Measured on
// the H100 (session 14): with a new main and L2-prefetch stream per session, the fourth and later
// sessions of a process ran a batch of one ~10% slower (0.39 against 0.355 ms, the same kernels
// with longer gaps between them) whatever their plan; on pooled streams every session ran as the
// first. PyTorch keeps its streams in a pool too.
#pragma once

#include <cuda_runtime.h>

namespace samp::cuda {

/// What a session uses a stream for: each role has its own pool, so a stream keeps its role.
enum class StreamRole { kMain, kPrefetch };

/// A non-blocking stream on `device` (the current device) for `role`: a pooled one, else new.
cudaError_t acquire_stream(int device, StreamRole role, cudaStream_t* stream);

/// Waits for `stream`'s work and gives it back to the pool of `device` and `role` (null: nothing).
void release_stream(int device, StreamRole role, cudaStream_t stream);

}  // namespace samp::cuda
