import { createRandom, weighted, zipf } from './random';

describe('Random', () => {
  test('the same seed and stream give the same sequence; another seed or stream another one', () => {
    const draw = (seed: number, stream = 0) => {
      const rng = createRandom(seed, stream);
      return Array.from({ length: 64 }, () => rng.uint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7)).not.toEqual(draw(7, 1));
    // Seeds differing only above 2^32 are different seeds too.
    expect(draw(2 ** 40 + 7)).not.toEqual(draw(7));
  });

  test('refuses a seed that is not a safe integer', () => {
    expect(() => createRandom(1.5)).toThrow(RangeError);
    expect(() => createRandom(Number.NaN)).toThrow(RangeError);
  });

  test('float is in [0, 1) and int in [min, max] with every value reachable', () => {
    const rng = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const x = rng.float();
      expect(x >= 0 && x < 1).toBe(true);
      const n = rng.int(3, 7);
      expect(n >= 3 && n <= 7).toBe(true);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  test('is roughly uniform (chi-square over 16 buckets)', () => {
    const rng = createRandom(99);
    const buckets = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) buckets[rng.uint32() >>> 28]!++;
    const expected = n / 16;
    const chi = buckets.reduce((sum, b) => sum + (b - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: p = 0.001 at 37.7.
    expect(chi).toBeLessThan(37.7);
  });

  test('hex, digits and uuid have the requested shapes', () => {
    const rng = createRandom(5);
    for (let i = 0; i < 200; i++) {
      expect(rng.hex(14)).toMatch(/^[0-9A-F]{14}$/);
      expect(rng.hex(3)).toMatch(/^[0-9A-F]{3}$/);
      expect(rng.hexLower(12)).toMatch(/^[0-9a-f]{12}$/);
      expect(rng.digits(9)).toMatch(/^\d{9}$/);
      expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});

describe('weighted', () => {
  test('picks in proportion to the weights and never a zero-weight item', () => {
    const pick = weighted([
      ['a', 1],
      ['b', 3],
      ['never', 0],
    ] as const);
    const rng = createRandom(3);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 40_000; i++) counts[pick.pick(rng)]++;
    expect(counts.never).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.7);
    expect(counts.b / counts.a).toBeLessThan(3.3);
  });

  test('refuses an empty table and all-zero weights', () => {
    expect(() => weighted([])).toThrow(RangeError);
    expect(() => weighted([['a', 0]])).toThrow(RangeError);
  });
});

describe('zipf', () => {
  test('the top 20% of ranks get about 60% of the draws, the top rank under 0.1%', () => {
    const n = 10_000;
    const ranks = zipf(n);
    let top = 0;
    for (let k = 0; k < n / 5; k++) top += ranks.probability(k);
    expect(top).toBeGreaterThan(0.55);
    expect(top).toBeLessThan(0.65);
    // The heaviest driver charges a few times as often as the average, not thousands of times.
    expect(ranks.probability(0) * n).toBeLessThan(10);
  });

  test('picks follow the probabilities', () => {
    const ranks = zipf(100);
    const rng = createRandom(11);
    const counts = new Array<number>(100).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[ranks.pick(rng)]!++;
    expect(counts[0]! / draws).toBeCloseTo(ranks.probability(0), 2);
    expect(counts[99]! / draws).toBeCloseTo(ranks.probability(99), 2);
    expect(counts.every((c) => c > 0)).toBe(true);
  });
});
