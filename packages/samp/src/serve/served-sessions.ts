import { type EncoderBackendV1, type EncoderSession, isEncoderBackendV1 } from '@samp/core';

/** A worker's backend session, with the backend that opened it (which may also report device memory). */
export interface ServedSession {
  readonly session: EncoderSession;
  readonly backend: EncoderBackendV1;
}

/** One worker's backends, wrapped so that the session its pipeline keeps can be read back. */
export interface SessionRecorder {
  /** Stand-ins for the backends, to give the worker's `pipeline()`; they open sessions on the originals. */
  readonly backends: readonly EncoderBackendV1[];
  /** The session opened last through {@link backends}, or `undefined` before the first. */
  latest(): ServedSession | undefined;
}

/**
 * Wraps one worker's backends so that the server can reach the session its pipeline opens (a pipeline
 * keeps its session to itself). The latest session is the pipeline's: with `precision: 'auto'` the
 * pipeline first opens (and disposes) sessions to calibrate and time plans, and opens its own last.
 * The stand-ins delegate `probe` and `createSession` to the originals and carry their `name` and
 * `device`, so the pipeline chooses among them exactly as among the originals.
 * @example
 * const recorder = recordSessions([createCpuBackend()]);
 * const classify = await pipeline('classification', { model, backends: recorder.backends });
 * recorder.latest()?.session.memoryUsage?.(); // { device: 'cpu', weightBytes: …, workspaceBytes: … }
 */
export function recordSessions(backends: readonly EncoderBackendV1[]): SessionRecorder {
  let latest: ServedSession | undefined;
  const wrapped = backends.map(
    (backend): EncoderBackendV1 =>
      // Anything that is not a backend goes through as it is, for the pipeline to refuse by its index.
      !isEncoderBackendV1(backend)
        ? backend
        : {
            specificationVersion: 'v1',
            name: backend.name,
            device: backend.device,
            // A delegating object rather than a prototype link: a class-based backend's methods may use
            // private fields, which only work with the original as `this`.
            probe: () => backend.probe(),
            async createSession(model, options) {
              const session = await backend.createSession(model, options);
              latest = { session, backend };
              return session;
            },
          },
  );
  return { backends: wrapped, latest: () => latest };
}
