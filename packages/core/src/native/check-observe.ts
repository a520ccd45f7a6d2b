import { InvalidArgumentError } from '../errors';
import { parseActivationTensorName } from '../quant/tensor-names';

/**
 * Checks a run's `observe` option before it reaches a native addon: every entry must be an activation
 * tensor name (`parseActivationTensorName`) of a layer the model has. Returns the names to pass on, or
 * `[]` when `names` is undefined.
 * @param names the run's `observe` option.
 * @param layers the model's `numHiddenLayers`.
 * @throws InvalidArgumentError naming `observe` (not an array) or `observe[i]` (an unknown name, or a
 * layer past the model's last).
 * @example
 * const observe = checkObserveNames(options.observe, model.config.numHiddenLayers);
 */
export function checkObserveNames(names: readonly string[] | undefined, layers: number): string[] {
  if (names === undefined) return [];
  // Checked at run time too: JavaScript callers (and the CLI's JSON input) can pass anything.
  if (!Array.isArray(names)) throw new InvalidArgumentError('observe', 'expected an array of tensor names');
  return names.map((name, i) => {
    const parsed = typeof name === 'string' ? parseActivationTensorName(name) : undefined;
    if (parsed === undefined) {
      throw new InvalidArgumentError(`observe[${i}]`, `unknown activation tensor ${String(name)}`);
    }
    if (parsed.kind === 'layer' && parsed.layer >= layers) {
      throw new InvalidArgumentError(
        `observe[${i}]`,
        `${name} names layer ${parsed.layer}; the model has ${layers}`,
      );
    }
    return name;
  });
}
