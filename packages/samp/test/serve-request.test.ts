// The checks of a POST /v1/predict body and of its inputs against the model's task: each error names
// the field.
import { describe, expect, it } from 'vitest';
import { checkInputsForTask, InvalidRequestError, parsePredictRequest } from '../src/serve';

const limits = { maxInputs: 3, maxTextLength: 10 };
const fieldOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return `${(error as InvalidRequestError).field}: ${(error as Error).message}`;
  }
  throw new Error('expected an InvalidRequestError');
};

describe('parsePredictRequest', () => {
  it('takes one input or an array of strings and {text, text_pair} objects', () => {
    expect(parsePredictRequest({ inputs: 'a' }, limits)).toEqual({
      model: undefined,
      inputs: [{ text: 'a' }],
      single: true,
    });
    expect(
      parsePredictRequest(
        { model: 'm', inputs: ['a', { text: 'b', text_pair: 'c' }, { text: 'd', text_pair: null }] },
        limits,
      ),
    ).toEqual({
      model: 'm',
      inputs: [{ text: 'a' }, { text: 'b', text_pair: 'c' }, { text: 'd' }],
      single: false,
    });
  });

  it('names the field of every problem', () => {
    expect(fieldOf(() => parsePredictRequest(null, limits))).toMatch(/^body: body: expected a JSON object/);
    expect(fieldOf(() => parsePredictRequest({ input: 'a' }, limits))).toBe(
      'input: input: unknown field (expected model, inputs)',
    );
    expect(fieldOf(() => parsePredictRequest({ inputs: ['a', { text: 'b', extra: 1 }] }, limits))).toBe(
      'inputs[1].extra: inputs[1].extra: unknown field (expected text, text_pair)',
    );
    expect(fieldOf(() => parsePredictRequest({ inputs: [true] }, limits))).toMatch(
      /^inputs\[0\]: .*got a boolean$/,
    );
    expect(fieldOf(() => parsePredictRequest({ inputs: { text: 'a', text_pair: 5 } }, limits))).toBe(
      'inputs.text_pair: inputs.text_pair: expected a string, got a number',
    );
    expect(fieldOf(() => parsePredictRequest({ inputs: ['a', '0123456789x'] }, limits))).toBe(
      'inputs[1]: inputs[1]: 11 characters, over the limit of 10 (UTF-16 code units)',
    );
    expect(fieldOf(() => parsePredictRequest({ inputs: ['a', 'b', 'c', 'd'] }, limits))).toBe(
      'inputs: inputs: 4 inputs, over the limit of 3 per request',
    );
  });
});

describe('checkInputsForTask', () => {
  it('refuses pairs for single-text tasks and single texts for pair tasks, naming the input', () => {
    const pairs = parsePredictRequest({ inputs: [{ text: 'a', text_pair: 'b' }] }, limits);
    const singles = parsePredictRequest({ inputs: ['a', 'b'] }, limits);
    expect(() => checkInputsForTask(pairs, 'classification', 'any')).not.toThrow();
    expect(fieldOf(() => checkInputsForTask(pairs, 'token-classification', 'single'))).toBe(
      "inputs[0].text_pair: inputs[0].text_pair: not allowed: the model's task, token-classification, takes single texts",
    );
    expect(fieldOf(() => checkInputsForTask(singles, 'text-matching', 'pair'))).toMatch(
      /^inputs\[0\]\.text_pair: .*missing field/,
    );
  });
});
