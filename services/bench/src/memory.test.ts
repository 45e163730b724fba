import { MAX_SUBJECTS, SUBJECT_MIX, perSubject, subjectAt } from './memory';

describe('key-cache memory measurement', () => {
  it('generates distinct subjects, the same ones every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const s = subjectAt(i, 'acme-cpo');
      seen.add(`${s.kind}\0${s.value}`);
    }
    expect(seen.size).toBe(50_000);
    expect(subjectAt(12_345, 'acme-cpo')).toEqual(subjectAt(12_345, 'acme-cpo'));
    expect(subjectAt(7, 'voltway-cpo').tenant).toBe('voltway-cpo');
    expect(() => subjectAt(MAX_SUBJECTS, 'acme-cpo')).toThrow(RangeError);
  });

  it("follows the traffic's kind mix and value shapes", () => {
    const n = 20_000;
    const counts = new Map<string, number>();
    const shapes: Record<string, RegExp> = {
      uid: /^[0-9A-F]{14}$/,
      emaid: /^DE[A-Z0-9]{3}C\d{8}[A-Z0-9]$/,
      group: /^G[0-9A-F]{10}$/,
      vehicle: /^[0-9A-F]{12}$/,
      extra: /^[0-9A-F]{12}$/,
      driver: /^DRV-\d{7}$/,
    };
    for (let i = 0; i < n; i++) {
      const s = subjectAt(i, 'acme-cpo');
      expect(s.value).toMatch(shapes[s.kind]!);
      counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
    }
    const total = SUBJECT_MIX.reduce((sum, m) => sum + m.count, 0);
    for (const m of SUBJECT_MIX) expect(Math.abs(counts.get(m.kind)! / n - m.count / total)).toBeLessThan(0.02);
  });

  it('charges the cache the difference between the cache-all and the one-entry ring, typed arrays included', () => {
    const m = perSubject(1_000, { heapUsed: 600_000, arrayBuffers: 40_000 }, { heapUsed: 300_000, arrayBuffers: 10_000 });
    expect(m.keyCacheBytesPerSubject).toBe(330);
    expect(m.keyCacheArrayBufferBytesPerSubject).toBe(30);
    expect(m.memoryStoreBytesPerSubject).toBe(310);
    expect(() => perSubject(0, m.cacheAll, m.cacheOne)).toThrow(RangeError);
  });
});
