// The facade's programmatic API: pipeline(), the task table and backend selection.
export { BACKEND_PACKAGES, type BackendStatus, probeBackends } from './backends/backend-packages';
export * from './pipeline';
export * from './precision';
export * from './serve';
