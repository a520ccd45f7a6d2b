import { InvalidProfileError } from '../errors';
import type { ModelArtifacts } from '../model';
import { layerSources } from '../native';
import type { QuantProfile } from './quant-profile';

/**
 * The static input scale a QuantProfile gives activation `tap` (a name such as
 * `layers.3.ffn.intermediate.input`), for a backend that quantizes that GEMM input.
 * @param profile the profile (already checked against the model).
 * @param tap the activation's canonical name.
 * @param required when false, a tap the profile lacks gives `undefined` instead of an error.
 * @throws InvalidProfileError when the tap is missing (and required) or its scale is not a positive finite number.
 * @example
 * const s = profileInputScale(profile, layerActivationName(0, 'attention.qkv.input'));
 */
export function profileInputScale(profile: QuantProfile, tap: string, required?: true): number;
export function profileInputScale(profile: QuantProfile, tap: string, required: false): number | undefined;
export function profileInputScale(profile: QuantProfile, tap: string, required = true): number | undefined {
  const entry = profile.activations[tap];
  if (entry === undefined) {
    if (!required) return undefined;
    throw new InvalidProfileError(
      'QuantProfile',
      `activations["${tap}"]`,
      'the plan quantizes this GEMM input but the profile has no scale for it',
    );
  }
  if (!(entry.scale > 0) || !Number.isFinite(entry.scale)) {
    throw new InvalidProfileError(
      'QuantProfile',
      `activations["${tap}"].scale`,
      'expected a positive finite number',
    );
  }
  return entry.scale;
}

/**
 * Copies the profile's per-channel scales of `weights` (names under `layers.<layer>.`) into `into`, keyed by
 * the name the native side reads them under: the layer's weight source (ALBERT layers share one).
 * @example
 * collectWeightScales(profile, model, 2, ['ffn.intermediate.weight'], scales);
 */
export function collectWeightScales(
  profile: QuantProfile | undefined,
  model: ModelArtifacts,
  layer: number,
  weights: readonly string[],
  into: Record<string, Float32Array>,
): void {
  const source = layerSources(model)[layer];
  for (const weight of weights) {
    const given = profile?.weights?.[`layers.${layer}.${weight}`];
    if (given !== undefined) into[`layers.${source}.${weight}`] = Float32Array.from(given.perChannelScales);
  }
}
