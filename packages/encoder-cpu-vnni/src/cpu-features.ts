/** CPU features the probe reports (CPUID bits), named as in Linux's `/proc/cpuinfo` flags. */
export const CPU_FEATURE_NAMES = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'amx_tile',
  'amx_int8',
  'amx_bf16',
] as const;

/** One of {@link CPU_FEATURE_NAMES}. */
export type CpuFeatureName = (typeof CPU_FEATURE_NAMES)[number];

/** Register state the OS saves and restores (XCR0): without it a CPU feature is unusable. */
export type OsSupportName = 'os_avx' | 'os_avx512' | 'os_amx';

/** Each CPU feature (CPUID) and OS-support bit (XCR0), as the native probe read them. */
export type CpuFeatures = Record<CpuFeatureName | OsSupportName, boolean>;

/** INT8 instruction-set levels, lowest first; kernels exist for each and one is chosen at run time. */
export const INT8_ISAS = ['scalar', 'avx2', 'avx-vnni', 'avx512-vnni', 'amx-int8'] as const;

/** One of {@link INT8_ISAS}. */
export type Int8Isa = (typeof INT8_ISAS)[number];

/**
 * The outcome of asking Linux for AMX tile data (`arch_prctl(ARCH_REQ_XCOMP_PERM)`): `unsupported`
 * when the CPU or OS lacks AMX, `not-needed` off Linux.
 */
export type AmxPermission = 'granted' | 'denied' | 'not-needed' | 'unsupported';

/** The `SAMP_CPU_ISA` environment variable as the native side parsed it. */
export interface IsaOverride {
  variable: 'SAMP_CPU_ISA';
  /** The value as written. */
  value: string;
  /** False when the value names no level of {@link INT8_ISAS}. */
  valid: boolean;
  /** The cap, when valid. */
  cap?: Int8Isa;
}

/** What `samp_cpu.node`'s `probe()` returns. */
export interface CpuProbeResult {
  features: CpuFeatures;
  /** CPUID vendor, e.g. `GenuineIntel`; empty off x86. */
  vendor: string;
  /** CPUID brand string, e.g. `Intel(R) Xeon(R) Platinum 8480+`. */
  brand: string;
  /** The highest level the CPU and OS support. */
  hardwareIsa: Int8Isa;
  /** The level kernels will use: `hardwareIsa` capped by `SAMP_CPU_ISA`. */
  bestIsa: Int8Isa;
  amxPermission: AmxPermission;
  /** The level the FP32 kernels use: `avx2` (AVX2+FMA) unless the CPU lacks it or `SAMP_CPU_ISA=scalar`. */
  fp32Isa: 'avx2' | 'scalar';
  /** `null` when `SAMP_CPU_ISA` is unset. */
  isaOverride: IsaOverride | null;
}
