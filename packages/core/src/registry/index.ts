export {
  BACKEND_REGISTRY_KEY,
  type BackendFactory,
  type BackendRequest,
  listBackends,
  type RegisteredBackend,
  type ResolvedBackend,
  registerBackend,
  resolveBackend,
  type SkippedBackend,
  unregisterBackend,
} from './backend-registry';
