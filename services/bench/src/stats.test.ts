import { median, percentile, round, spread } from './stats';

describe('percentile (nearest rank)', () => {
  const samples = [15, 20, 35, 40, 50];

  it('returns a value some sample really had, never an interpolation', () => {
    expect(percentile(samples, 30)).toBe(20);
    expect(percentile(samples, 40)).toBe(20);
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 100)).toBe(50);
  });

  it('takes the smallest sample for p0 and sorts unsorted input without mutating it', () => {
    const input = [50, 15, 40, 20, 35];
    expect(percentile(input, 0)).toBe(15);
    expect(percentile(input, 99)).toBe(50);
    expect(input).toEqual([50, 15, 40, 20, 35]);
  });

  it('trusts the caller when told the input is sorted (no copy)', () => {
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 75, true)).toBe(3);
  });

  it('is NaN without samples and refuses p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(samples, 101)).toThrow(RangeError);
    expect(() => percentile(samples, -1)).toThrow(RangeError);
  });

  it('gives the p99 of 1..1000 as 990', () => {
    expect(percentile(Array.from({ length: 1000 }, (_, i) => i + 1), 99)).toBe(990);
  });
});

describe('median of repetitions', () => {
  it('takes the middle one for an odd count and the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('ignores repetitions that measured nothing (NaN) and is NaN when none did', () => {
    expect(median([Number.NaN, 10, 20])).toBe(15);
    expect(median([])).toBeNaN();
  });
});

describe('round', () => {
  it('rounds to the given digits and leaves non-finite values alone', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(19_974.4, 0)).toBe(19_974);
    expect(round(Number.NaN)).toBeNaN();
  });
});

describe('spread over repetitions', () => {
  it('gives min, median and max, rounded like the figure, and the number of repetitions', () => {
    expect(spread([30_123.4, 28_000.2, 31_999.9], 0)).toEqual({ min: 28_000, median: 30_123, max: 32_000, n: 3 });
    expect(spread([0.71, 0.69], 3)).toEqual({ min: 0.69, median: 0.7, max: 0.71, n: 2 });
  });

  it('leaves out what was not measured, and is undefined when nothing was', () => {
    expect(spread([Number.NaN, 5])).toEqual({ min: 5, median: 5, max: 5, n: 1 });
    expect(spread([])).toBeUndefined();
    expect(spread([Number.NaN])).toBeUndefined();
  });
});
