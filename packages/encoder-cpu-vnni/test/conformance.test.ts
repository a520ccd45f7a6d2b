// Core's backend conformance suite over every golden fixture model, at FP32 with a 1e-5 relative
// tolerance on last_hidden_state and every hidden_states.N (all positions, padded ones included:
// the default padPositions 'compute' reproduces Hugging Face there too). `requireAvailable` makes a
// missing addon fail the suite rather than skip it.
import { describeEncoderBackendConformance } from '@samp/core/testing';
import { createCpuBackend } from '../src/index';

describeEncoderBackendConformance('cpu', () => createCpuBackend({ threads: 2 }), {
  tolerance: 1e-5,
  requireAvailable: true,
});
