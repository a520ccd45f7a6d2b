// The facade's programmatic API (pipeline() and the task table) lands with its issue.
export { type BackendStatus, BACKEND_PACKAGES, probeBackends } from './backends/backend-packages';
