// Padding removal: the packed token layout of one run (only the real tokens of each row, or every
// position when padded ones are computed like Hugging Face), and the way back to the padded layout.
#pragma once

#include <cstdint>
#include <vector>

#include "common/token-packing.h"
#include "encoder-config.h"
#include "encoder.h"
#include "host-array.h"
#include "kernels.h"

namespace samp::cuda {

/// The packed token layout of one run (common/token-packing.h).
using Packing = TokenPacking<RowSpan>;

/// Packs a batch's rows. Throws samp::Error(SAMP_INPUT_TOO_LONG) for a position outside the table.
Packing pack(const EncoderConfig& c, const EncoderInput& in, bool compute_padding);

/// Packed rows [tokens, width] → a zeroed padded tensor [batch, seq, width].
std::vector<float> unpack(const Packing& p, const float* packed, int width, int batch, int seq);

/// unpack() into a HostArray (the run's output, handed to JS without a copy).
HostArray unpack_output(const Packing& p, const float* packed, int width, int batch, int seq);

}  // namespace samp::cuda
