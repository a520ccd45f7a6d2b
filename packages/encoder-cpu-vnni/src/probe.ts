import { type BackendProbe, SampError } from '@samp/core';
import { loadCpuBinding } from './binding';
import { CPU_FEATURE_NAMES, type CpuProbeResult } from './cpu-features';

/**
 * The raw CPU probe of the native addon: every feature and OS-support bit, the brand string and
 * the INT8 level kernels will use.
 * @throws BindingNotFoundError / BindingLoadError when the addon is not built or does not load.
 * @example
 * const { bestIsa, features } = readCpuFeatures();
 */
export function readCpuFeatures(): CpuProbeResult {
  return loadCpuBinding().probe();
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns the native result into the backend-spec shape (flat `details` for `samp doctor`). */
export function toBackendProbe(raw: CpuProbeResult): BackendProbe {
  const details: BackendProbe['details'] = {
    vendor: raw.vendor,
    brand: raw.brand,
    bestIsa: raw.bestIsa,
    hardwareIsa: raw.hardwareIsa,
    amxPermission: raw.amxPermission,
    fp32Isa: raw.fp32Isa,
    features: CPU_FEATURE_NAMES.filter((name) => raw.features[name]),
    osSupport: (['os_avx', 'os_avx512', 'os_amx'] as const).filter((name) => raw.features[name]),
  };
  if (raw.isaOverride) details.isaOverride = raw.isaOverride.value;
  if (raw.vendor === '') {
    return { status: 'unavailable', reason: 'the CPU backend needs an x86-64 processor', details };
  }
  if (raw.isaOverride && !raw.isaOverride.valid) {
    return {
      status: 'failed',
      reason: `SAMP_CPU_ISA="${raw.isaOverride.value}" is not one of scalar, avx2, avx-vnni, avx512-vnni, amx-int8`,
      details,
    };
  }
  return { status: 'available', details };
}

/**
 * Whether the CPU backend can run here, and what it found. Never throws: a missing addon gives
 * `not-built` (the reason lists every path tried and the build command), a broken one `failed`.
 * @example
 * const { status, details } = await probe();
 * // status 'available', details.bestIsa 'avx512-vnni'
 */
export async function probe(): Promise<BackendProbe> {
  let raw: CpuProbeResult;
  try {
    raw = readCpuFeatures();
  } catch (error) {
    if (SampError.isInstance(error) && error.code === 'SAMP_BINDING_NOT_FOUND') {
      return { status: 'not-built', reason: error.message, details: {} };
    }
    return { status: 'failed', reason: errorMessage(error), details: {} };
  }
  return toBackendProbe(raw);
}
