import { bucket, postalPrefix, snapToGrid, truncateTime } from './generalize';

describe('generalizers', () => {
  const t = Date.parse('2026-11-24T10:37:42.123Z');

  it('truncates timestamps to the granularity, in UTC', () => {
    expect(new Date(truncateTime(t, 'second')).toISOString()).toBe('2026-11-24T10:37:42.000Z');
    expect(new Date(truncateTime(t, 'minute')).toISOString()).toBe('2026-11-24T10:37:00.000Z');
    expect(new Date(truncateTime(t, 'hour')).toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(new Date(truncateTime(t, 'day')).toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });

  it('snaps coordinates to the grid cell corner without floating-point tails', () => {
    expect(snapToGrid(51.047599, 0.01)).toBe(51.04);
    expect(snapToGrid(3.729944, 0.01)).toBe(3.72);
    expect(snapToGrid(-0.12345, 0.1)).toBe(-0.2);
    expect(snapToGrid(51.04, 0.01)).toBe(51.04);
  });

  it('keeps only a postal code prefix', () => {
    expect(postalPrefix('1011 ac', 3)).toBe('101');
    expect(postalPrefix('9000', 2)).toBe('90');
    expect(postalPrefix('AB', 3)).toBe('AB');
  });

  it('buckets numbers down to a multiple of the step', () => {
    expect(bucket(67, 10)).toBe(60);
    expect(bucket(100, 10)).toBe(100);
    expect(bucket(12.99, 1)).toBe(12);
  });
});
