import { pairOffsets } from './offsets';

describe('pairOffsets: each partition end with its log start', () => {
  it('pairs by partition, a start not listed reads as 0', () => {
    const ends = new Map([['t', [[0, 10n], [1, 4n]] as const]]);
    const starts = new Map([['t', [[1, 2n]] as const]]);
    const paired = pairOffsets(['t'], (t) => ends.get(t) ?? [], (t) => starts.get(t) ?? []);
    expect([...paired.get('t')!]).toEqual([
      [0, { low: 0n, high: 10n }],
      [1, { low: 2n, high: 4n }],
    ]);
  });

  it('a topic without partitions (missing) is BROKER_UNAVAILABLE, not an empty answer', () => {
    expect(() => pairOffsets(['gone'], () => [], () => [])).toThrow(expect.objectContaining({ code: 'AMPSEAL_ERR_BROKER_UNAVAILABLE' }));
  });
});
