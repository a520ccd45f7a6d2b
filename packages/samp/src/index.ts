// The facade's programmatic API (pipeline() and the task table) lands with its issue.
export { BACKEND_PACKAGES, type BackendStatus, probeBackends } from './backends/backend-packages';
