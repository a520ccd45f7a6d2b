import { describe, expect, it } from 'vitest';
import { activationTensorNames, EMBEDDINGS_OUTPUT } from '../quant/tensor-names';
import { checkObserveNames } from './check-observe';

describe('checkObserveNames', () => {
  it('passes every activation tensor name of the model on, in order, and [] for no observe', () => {
    const names = [EMBEDDINGS_OUTPUT, ...activationTensorNames(4)];
    expect(checkObserveNames(names, 4)).toEqual(names);
    expect(checkObserveNames([], 4)).toEqual([]);
    expect(checkObserveNames(undefined, 4)).toEqual([]);
  });

  it('names the entry at fault: not an array, an unknown name, a layer past the last', () => {
    expect(() => checkObserveNames('layers.0.attention.probs' as never, 4)).toThrow(
      expect.objectContaining({
        code: 'SAMP_INVALID_ARGUMENT',
        argument: 'observe',
        message: 'observe: expected an array of tensor names',
      }),
    );
    expect(() => checkObserveNames(['layers.0.attention.probs', 'nonsense'], 4)).toThrow(
      expect.objectContaining({
        argument: 'observe[1]',
        message: 'observe[1]: unknown activation tensor nonsense',
      }),
    );
    expect(() => checkObserveNames([42 as never], 4)).toThrow('observe[0]: unknown activation tensor 42');
    expect(() => checkObserveNames(['layers.3.ffn.output.input', 'layers.4.attention.probs'], 4)).toThrow(
      expect.objectContaining({
        argument: 'observe[1]',
        message: 'observe[1]: layers.4.attention.probs names layer 4; the model has 4',
      }),
    );
  });
});
