import { describe, expect, it } from 'vitest';
import { type Candidate, describeCandidate, uniformCandidate } from './candidate';
import { latencyFitPlans } from './latency-fit-plans';
import { median, timeInRounds } from './time-in-rounds';

describe('timeInRounds', () => {
  const plans = [
    uniformCandidate(2, 'fp32'),
    uniformCandidate(2, 'int8-full'),
    uniformCandidate(2, 'int8-ffn'),
  ];

  it("times every plan once per round, rotating the order, and keeps each plan's median", async () => {
    // Round 2 runs slow as a whole (another process woke up): the median ignores it.
    const base: Record<string, number> = { '--': 10, FF: 4, NN: 7 };
    const orders: string[][] = [];
    const done: number[] = [];
    const measure = async (ps: readonly Candidate[]) => {
      orders.push(ps.map(describeCandidate));
      const slow = orders.length === 2 ? 1.5 : 1;
      return ps.map((p) => (base[describeCandidate(p)] as number) * slow + orders.length * 0.01);
    };
    const ms = await timeInRounds(measure, plans, 3, (round) => done.push(round));
    expect(orders).toEqual([
      ['--', 'FF', 'NN'],
      ['FF', 'NN', '--'],
      ['NN', '--', 'FF'],
    ]);
    expect(done).toEqual([1, 2, 3]);
    expect(ms[0]).toBeCloseTo(10.03, 9);
    expect(ms[1]).toBeCloseTo(4.03, 9);
    expect(ms[2]).toBeCloseTo(7.03, 9);
  });

  it('rejects a measurer that returns the wrong count or a time that is not positive, naming the plan', async () => {
    await expect(timeInRounds(async () => [1], plans, 1)).rejects.toMatchObject({
      code: 'SAMP_INVALID_ARGUMENT',
      message: expect.stringMatching(/returned 1 times for 3 plans/),
    });
    await expect(timeInRounds(async (ps) => ps.map(() => Number.NaN), plans, 2)).rejects.toThrow(
      /returned NaN ms for --; expected a positive number/,
    );
    expect(await timeInRounds(async () => [], [], 3)).toEqual([]);
  });

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('latencyFitPlans', () => {
  it('fp32, each mode on every layer and on alternating layers, each GEMM alone; no duplicates', () => {
    expect(latencyFitPlans(4, ['int8-full', 'int8-ffn'], ['qkv']).map(describeCandidate)).toEqual([
      '----',
      'FFFF',
      'F-F-',
      '-F-F',
      'NNNN',
      'N-N-',
      '-N-N',
      '-[q]-[q]-[q]-[q]',
    ]);
    // One layer: alternating plans are the uniform plan and fp32 again.
    expect(latencyFitPlans(1, ['int8-full']).map(describeCandidate)).toEqual(['-', 'F']);
  });
});
