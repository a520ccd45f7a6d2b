import type { EncoderBackendV1, EncoderSession } from '@samp/core';

/** A backend whose sessions forward every run to the session chosen with `use()`. */
export interface SwitchingBackend {
  readonly backend: EncoderBackendV1;
  use(session: EncoderSession | undefined): void;
}

/**
 * Wraps `real` so that one pipeline (tokenizer, head, model) serves many precision plans: each plan only
 * brings its own session of the real backend, set with `use()`, instead of a reload of everything else.
 * @example
 * const switching = switchingBackend(backend);
 * const p = await pipeline('classification', { model: dir, backends: [switching.backend] });
 * switching.use(await backend.createSession(model, { plan }));
 */
export function switchingBackend(real: EncoderBackendV1): SwitchingBackend {
  let current: EncoderSession | undefined;
  const target = (): EncoderSession => {
    if (current === undefined) throw new Error('samp: no plan session is in use');
    return current;
  };
  const backend: EncoderBackendV1 = {
    specificationVersion: 'v1',
    name: real.name,
    device: real.device,
    probe: () => real.probe(),
    createSession: async (model) => ({
      model,
      get precision() {
        return current?.precision ?? 'fp32';
      },
      get plan() {
        return current?.plan;
      },
      run: (input, options) => target().run(input, options),
      dispose: async () => {},
      [Symbol.asyncDispose]: async () => {},
    }),
  };
  return { backend, use: (session) => (current = session) };
}
