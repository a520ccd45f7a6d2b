export { isSupportedDtype, SUPPORTED_DTYPES, toFloat32 } from './dtype';
export { openWeights, WEIGHT_FILES } from './open-weights';
export { MAX_SAFETENSORS_HEADER_BYTES, openSafetensors } from './safetensors';
export { MAX_SHARD_INDEX_BYTES, openShardedSafetensors } from './sharded-safetensors';
export type { DType, OpenWeightsOptions, SkippedTensor, TensorInfo, TensorStore } from './tensor-store';
export { DTYPE_BYTES } from './tensor-store';
export { MAX_PICKLE_BYTES, openTorchCheckpoint } from './torch-checkpoint';
