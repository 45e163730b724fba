import { createRandom } from './random';
import { isoMillis, isoSeconds, ocmfTime } from './time';

describe('timestamps', () => {
  test('isoMillis equals Date#toISOString, isoSeconds drops the fraction, across minutes and days', () => {
    const rng = createRandom(4);
    let t = Date.UTC(2026, 1, 28, 23, 58, 0);
    for (let i = 0; i < 20_000; i++) {
      // Mostly forward in small steps, sometimes back to an earlier time (OCPI quotes the session start).
      t += rng.chance(0.05) ? -rng.int(0, 3_600_000) : rng.int(0, 9_000);
      const expected = new Date(t).toISOString();
      expect(isoMillis(t)).toBe(expected);
      expect(isoSeconds(t)).toBe(`${expected.slice(0, 19)}Z`);
    }
    expect(isoMillis(Date.UTC(2026, 10, 24, 10, 0, 3, 120) + 0.7)).toBe('2026-11-24T10:00:03.120Z');
  });

  test('ocmfTime writes the OCMF reading time format', () => {
    expect(ocmfTime(Date.UTC(2018, 6, 24, 11, 22, 4, 5))).toBe('2018-07-24T11:22:04,005+0000 S');
  });
});
