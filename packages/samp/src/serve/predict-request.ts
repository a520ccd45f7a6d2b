import type { TaskInputs } from '../pipeline';
import { InvalidRequestError } from './errors';

/** One input as the server passes it on: a text and, for pairs, its second text. */
export interface PredictInput {
  readonly text: string;
  readonly text_pair?: string;
}

/** A `POST /v1/predict` body, checked. */
export interface PredictRequest {
  /** The model asked for, when the body names one. */
  readonly model: string | undefined;
  readonly inputs: readonly PredictInput[];
  /** Whether `inputs` was one input (answered with one output) rather than an array. */
  readonly single: boolean;
}

/** The limits a body is checked against. */
export interface PredictRequestLimits {
  /** Inputs per request at most. */
  readonly maxInputs: number;
  /** UTF-16 code units per text (and per `text_pair`) at most. */
  readonly maxTextLength: number;
}

const BODY_FIELDS = ['model', 'inputs'];
const INPUT_FIELDS = ['text', 'text_pair'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkFields(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key))
      throw new InvalidRequestError(
        where === '' ? key : `${where}.${key}`,
        `unknown field (expected ${allowed.join(', ')})`,
      );
}

function checkText(value: unknown, field: string, limit: number): string {
  if (typeof value !== 'string')
    throw new InvalidRequestError(field, `expected a string, got ${typeName(value)}`);
  if (value.length > limit)
    throw new InvalidRequestError(
      field,
      `${value.length} characters, over the limit of ${limit} (UTF-16 code units)`,
    );
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkInput(value: unknown, field: string, limit: number): PredictInput {
  if (typeof value === 'string') return { text: checkText(value, field, limit) };
  if (!isObject(value))
    throw new InvalidRequestError(
      field,
      `expected a string or {"text": string, "text_pair"?: string}, got ${typeName(value)}`,
    );
  checkFields(value, INPUT_FIELDS, field);
  if (!('text' in value)) throw new InvalidRequestError(`${field}.text`, 'missing field');
  const text = checkText(value.text, `${field}.text`, limit);
  if (value.text_pair === undefined || value.text_pair === null) return { text };
  return { text, text_pair: checkText(value.text_pair, `${field}.text_pair`, limit) };
}

/**
 * Checks a `POST /v1/predict` body: `{"model"?: string, "inputs": input | input[]}` with an input a
 * string or `{"text": string, "text_pair"?: string}`. Unknown fields are refused, so a misspelt field
 * never passes silently.
 * @throws InvalidRequestError naming the field (`inputs[3].text`) and what was expected.
 * @example
 * parsePredictRequest({ inputs: ['体育新闻'] }, { maxInputs: 256, maxTextLength: 4096 });
 */
export function parsePredictRequest(body: unknown, limits: PredictRequestLimits): PredictRequest {
  if (!isObject(body))
    throw new InvalidRequestError(
      'body',
      `expected a JSON object {"model"?: string, "inputs": input | input[]}, got ${typeName(body)}`,
    );
  checkFields(body, BODY_FIELDS, '');
  if (body.model !== undefined && (typeof body.model !== 'string' || body.model === ''))
    throw new InvalidRequestError('model', `expected a model name (a string), got ${typeName(body.model)}`);
  if (!('inputs' in body) || body.inputs === undefined)
    throw new InvalidRequestError(
      'inputs',
      'missing field (a text, {"text", "text_pair"?}, or an array of them)',
    );
  const model = body.model as string | undefined;
  if (!Array.isArray(body.inputs))
    return { model, inputs: [checkInput(body.inputs, 'inputs', limits.maxTextLength)], single: true };
  if (body.inputs.length === 0) throw new InvalidRequestError('inputs', 'expected at least one input');
  if (body.inputs.length > limits.maxInputs)
    throw new InvalidRequestError(
      'inputs',
      `${body.inputs.length} inputs, over the limit of ${limits.maxInputs} per request`,
    );
  const inputs = body.inputs.map((input, i) => checkInput(input, `inputs[${i}]`, limits.maxTextLength));
  return { model, inputs, single: false };
}

/**
 * Checks that the inputs fit the model's task before they are queued, so a bad input fails only its own
 * request: token classification takes single texts, text matching takes pairs.
 * @throws InvalidRequestError naming the input (`inputs[2].text_pair`).
 */
export function checkInputsForTask(request: PredictRequest, task: string, accepts: TaskInputs): void {
  request.inputs.forEach((input, i) => {
    const field = request.single ? 'inputs' : `inputs[${i}]`;
    if (accepts === 'single' && input.text_pair !== undefined)
      throw new InvalidRequestError(
        `${field}.text_pair`,
        `not allowed: the model's task, ${task}, takes single texts`,
      );
    if (accepts === 'pair' && input.text_pair === undefined)
      throw new InvalidRequestError(
        `${field}.text_pair`,
        `missing field: the model's task, ${task}, compares text pairs`,
      );
  });
}
