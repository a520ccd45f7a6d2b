import { describe, expect, it } from 'vitest';
import type { ObservedTensor } from '../spec';
import { listFixtureModels, readFixtureInputs } from '../testing';
import { toNativeBatch } from './native-batch';
import { toEncoderOutput } from './native-run-output';

const fixture = listFixtureModels().find((f) => f.name === 'bert');
if (fixture === undefined) throw new Error('the bert fixture is missing from the fixture manifest');
const input = readFixtureInputs(fixture);
const hiddenSize = 32;
const lastHiddenState = new Float32Array(input.batchSize * input.sequenceLength * hiddenSize);

describe('toNativeBatch', () => {
  it("passes the batch's own arrays and sizes, and nothing else", () => {
    const batch = toNativeBatch({ ...input, extra: 'not for the addon' } as typeof input);
    expect(Object.keys(batch).sort()).toEqual(
      ['attentionMask', 'batchSize', 'inputIds', 'sequenceLength', 'tokenTypeIds'].filter(
        (k) => k !== 'tokenTypeIds' || input.tokenTypeIds !== undefined,
      ),
    );
    expect(batch.inputIds).toBe(input.inputIds);
    expect(batch.attentionMask).toBe(input.attentionMask);
    expect(batch.batchSize).toBe(input.batchSize);
    expect(batch.sequenceLength).toBe(input.sequenceLength);
  });

  it('leaves tokenTypeIds out when absent and passes it when present', () => {
    const { tokenTypeIds: _, ...noTypes } = input;
    expect('tokenTypeIds' in toNativeBatch(noTypes)).toBe(false);
    const types = new Int32Array(input.inputIds.length);
    expect(toNativeBatch({ ...noTypes, tokenTypeIds: types }).tokenTypeIds).toBe(types);
  });
});

describe('toEncoderOutput', () => {
  it('sets the shape from the input and the hidden size, and only what was asked for', () => {
    const hiddenStates = [lastHiddenState, lastHiddenState];
    const probs: ObservedTensor = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    const result = { lastHiddenState, hiddenStates, observed: { 'layers.0.attention.probs': probs } };
    const plain = toEncoderOutput(input, hiddenSize, result, { observe: [] });
    expect(plain).toEqual({
      lastHiddenState,
      batchSize: input.batchSize,
      sequenceLength: input.sequenceLength,
      hiddenSize,
    });
    expect('hiddenStates' in plain || 'observed' in plain).toBe(false);
    const full = toEncoderOutput(input, hiddenSize, result, {
      outputHiddenStates: true,
      observe: ['layers.0.attention.probs'],
    });
    expect(full.hiddenStates).toBe(hiddenStates);
    expect(full.observed).toEqual({ 'layers.0.attention.probs': probs });
    expect(full.observed?.['layers.0.attention.probs']).toBe(probs);
    // A fresh record, not the addon's object.
    expect(full.observed).not.toBe(result.observed);
  });

  it('gives [] and {} when the addon returned no hidden states or observed tensors', () => {
    const out = toEncoderOutput(
      input,
      hiddenSize,
      { lastHiddenState },
      {
        outputHiddenStates: true,
        observe: ['embeddings.output'],
      },
    );
    expect(out.hiddenStates).toEqual([]);
    expect(out.observed).toEqual({});
  });
});
