/** The backend packages samp knows, in the order `device: 'auto'` tries them. */
export const BACKEND_PACKAGES = [
  { device: 'cuda', packageName: '@samp/encoder-cuda' },
  { device: 'cpu', packageName: '@samp/encoder-cpu-vnni' },
] as const;

/** What a backend package's `probe()` resolves to (the core `BackendProbe` shape). */
export interface BackendStatus {
  readonly device: string;
  readonly packageName: string;
  readonly status: 'available' | 'not-built' | 'unavailable' | 'failed' | 'not-installed';
  readonly reason?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

interface ProbingModule {
  probe(): Promise<{ status: BackendStatus['status']; reason?: string; details?: Record<string, unknown> }>;
}

function isModuleNotFound(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(packageName);
}

/**
 * Probes every known backend package: an optional peer that is not installed is reported as such,
 * never as an error. Probing never throws.
 */
export async function probeBackends(
  importer: (name: string) => Promise<unknown> = (name) => import(name),
): Promise<BackendStatus[]> {
  return Promise.all(
    BACKEND_PACKAGES.map(async ({ device, packageName }): Promise<BackendStatus> => {
      let module: ProbingModule;
      try {
        module = (await importer(packageName)) as ProbingModule;
      } catch (error) {
        if (isModuleNotFound(error, packageName)) {
          return {
            device,
            packageName,
            status: 'not-installed',
            reason: `${packageName} is not installed`,
            details: {},
          };
        }
        const reason = error instanceof Error ? error.message : String(error);
        return { device, packageName, status: 'failed', reason, details: {} };
      }
      try {
        const result = await module.probe();
        return {
          device,
          packageName,
          status: result.status,
          ...(result.reason === undefined ? {} : { reason: result.reason }),
          details: result.details ?? {},
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { device, packageName, status: 'failed', reason, details: {} };
      }
    }),
  );
}
