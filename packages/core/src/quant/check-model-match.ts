import { InvalidPlanError, InvalidProfileError } from '../errors';
import type { ModelArtifacts } from '../model/model-artifacts';
import { fieldPath, indexPath } from './document-reader';
import type { PrecisionPlan } from './precision-plan';
import type { QuantProfile } from './quant-profile';
import { activationTensorShape, parseActivationTensorName } from './tensor-names';

/** What the match checks need from a model (a `ModelArtifacts` fits). */
export type MatchTarget = Pick<ModelArtifacts, 'fingerprint' | 'config'> & {
  readonly weights?: Pick<ModelArtifacts['weights'], 'tensors'>;
};

/**
 * Refuses a QuantProfile calibrated on another model: a different fingerprint, model type, layer count
 * or hidden size, a tap on a layer the model lacks, per-channel weight scales for a weight the model
 * does not have or of the wrong length, or smoothing factors of the wrong width.
 * @param source where the profile came from, for error messages (default `QuantProfile`).
 * @throws InvalidProfileError naming the field that does not fit.
 * @example
 * checkProfileMatches(await readQuantProfile('profile.json'), model, 'profile.json');
 */
export function checkProfileMatches(
  profile: QuantProfile,
  model: MatchTarget,
  source = 'QuantProfile',
): void {
  const fail: (field: string, problem: string) => never = (field, problem) => {
    throw new InvalidProfileError(source, field, problem);
  };
  const { config } = model;
  if (profile.model.fingerprint !== model.fingerprint) {
    fail(
      'model.fingerprint',
      `the profile was calibrated on another model (${profile.model.fingerprint}, this model is ${model.fingerprint})`,
    );
  }
  if (profile.model.modelType !== config.modelType) {
    fail(
      'model.modelType',
      `the profile is for a ${profile.model.modelType} model, this one is ${config.modelType}`,
    );
  }
  if (profile.model.numHiddenLayers !== config.numHiddenLayers) {
    fail(
      'model.numHiddenLayers',
      `the profile is for ${profile.model.numHiddenLayers} layers, the model has ${config.numHiddenLayers}`,
    );
  }
  if (profile.model.hiddenSize !== config.hiddenSize) {
    fail(
      'model.hiddenSize',
      `the profile is for hidden size ${profile.model.hiddenSize}, the model has ${config.hiddenSize}`,
    );
  }
  for (const name of Object.keys(profile.activations)) {
    const parsed = parseActivationTensorName(name);
    if (parsed?.kind === 'layer' && parsed.layer >= config.numHiddenLayers) {
      fail(
        fieldPath('activations', name),
        `names layer ${parsed.layer}; the model has ${config.numHiddenLayers} layers`,
      );
    }
  }
  for (const [name, factors] of Object.entries(profile.smoothing ?? {})) {
    const parsed = parseActivationTensorName(name);
    const shape = activationTensorShape(name, config, 1, 1);
    if (shape === undefined || (parsed?.kind === 'layer' && parsed.layer >= config.numHiddenLayers)) {
      fail(fieldPath('smoothing', name), 'names a tensor this model does not have');
    }
    // The channel dimension is the last one of every token-wise tap.
    const width = shape[shape.length - 1];
    if (factors.length !== width) {
      fail(fieldPath('smoothing', name), `has ${factors.length} factors, the tensor has ${width} channels`);
    }
  }
  const tensors = model.weights?.tensors;
  if (profile.weights !== undefined && tensors !== undefined) {
    for (const [name, scales] of Object.entries(profile.weights)) {
      const info = tensors.get(name);
      if (info === undefined) fail(fieldPath('weights', name), 'names a weight this model does not have');
      const channels = info.shape[0];
      if (scales.perChannelScales.length !== channels) {
        fail(
          fieldPath(fieldPath('weights', name), 'perChannelScales'),
          `has ${scales.perChannelScales.length} scales, the weight has ${channels} output channels`,
        );
      }
    }
  }
}

/**
 * Refuses a PrecisionPlan made for another model: a different fingerprint, or a layer count that
 * differs from the model's (a plan naming a layer that does not exist, or leaving layers out).
 * @param source where the plan came from, for error messages (default `PrecisionPlan`).
 * @throws InvalidPlanError naming the field that does not fit.
 * @example
 * checkPlanMatches(await readPrecisionPlan('plan.json'), model, 'plan.json');
 */
export function checkPlanMatches(plan: PrecisionPlan, model: MatchTarget, source = 'PrecisionPlan'): void {
  const layers = model.config.numHiddenLayers;
  if (plan.model.fingerprint !== model.fingerprint) {
    throw new InvalidPlanError(
      source,
      'model.fingerprint',
      `the plan was made for another model (${plan.model.fingerprint}, this model is ${model.fingerprint})`,
    );
  }
  if (plan.layers.length > layers) {
    throw new InvalidPlanError(
      source,
      indexPath('layers', layers),
      `names layer ${layers}; the model has ${layers} layers (0…${layers - 1})`,
    );
  }
  if (plan.layers.length < layers || plan.model.numHiddenLayers !== layers) {
    throw new InvalidPlanError(
      source,
      'layers',
      `the plan has ${plan.layers.length} layers, the model has ${layers}`,
    );
  }
}
