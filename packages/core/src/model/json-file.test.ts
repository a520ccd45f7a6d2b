import { describe, expect, it } from 'vitest';
import { ModelConfigError } from '../errors/model-errors';
import { locateJsonError, parseJsonText } from './json-file';

describe('locateJsonError', () => {
  it('is undefined for valid JSON', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '0']) {
      expect(locateJsonError(text)).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('finds the first error', () => {
    expect(locateJsonError('{"a": }')).toEqual({ offset: 6, line: 1, column: 7 });
    expect(locateJsonError('[1,2,,]')).toEqual({ offset: 5, line: 1, column: 6 });
    expect(locateJsonError('{"a": 1')).toEqual({ offset: 7, line: 1, column: 8 });
    expect(locateJsonError('{"a":1}\nx')).toEqual({ offset: 8, line: 2, column: 1 });
    expect(locateJsonError('')).toEqual({ offset: 0, line: 1, column: 1 });
    expect(locateJsonError('{"a": 01}')).toEqual({ offset: 7, line: 1, column: 8 });
    expect(locateJsonError('["\\x"]')).toEqual({ offset: 3, line: 1, column: 4 });
    expect(locateJsonError("{'a': 1}")).toEqual({ offset: 1, line: 1, column: 2 });
  });
});

describe('parseJsonText', () => {
  it('parses, or throws ModelConfigError with message and position', () => {
    expect(parseJsonText('{"a": 1}', 'f.json')).toEqual({ a: 1 });
    let error: unknown;
    try {
      parseJsonText('{"a": 1,}', 'dir/f.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelConfigError);
    const e = error as ModelConfigError;
    expect(e.code).toBe('SAMP_MODEL_CONFIG');
    expect(e.file).toBe('dir/f.json');
    expect(e.message).toMatch(/^dir\/f\.json: is not valid JSON at line 1, column 9 \(position 8\): /);
  });
});
