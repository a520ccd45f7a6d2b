// Core's backend conformance suite over every golden fixture model, at FP32 with a 1e-5 relative
// tolerance on last_hidden_state and every hidden_states.N (all positions, padded ones included:
// the default padPositions 'compute' reproduces Hugging Face there too), and at INT8 (uniform
// int8-full, dynamic per-row scales) with core's INT8 default of 0.15: measured worst 0.134 relative
// (max |Δ| / max |expected|, ALBERT's last layer; the others ≤ 0.1) on these random-weight fixtures. Per-row scales keep padded and unpadded runs of a row identical
// in numerics, so the padding checks hold at INT8 too. `requireAvailable` makes a missing addon fail
// the suite rather than skip it.
import { describeEncoderBackendConformance } from '@samp/core/testing';
import { createCpuBackend } from '../src/index';

describeEncoderBackendConformance('cpu', () => createCpuBackend({ threads: 2 }), {
  tolerance: { fp32: 1e-5 },
  precisions: ['fp32', 'int8'],
  requireAvailable: true,
});
