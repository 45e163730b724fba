import { FingerprintBuilder, sameFingerprint, type Fingerprint } from './fingerprint';

const b = (s: string) => Buffer.from(s);

function of(records: ReadonlyArray<readonly [string | null, string | null]>): Fingerprint {
  const f = new FingerprintBuilder();
  for (const [k, v] of records) f.add(k === null ? null : b(k), v === null ? null : b(v));
  return f.result();
}

describe('record multiset fingerprint', () => {
  const input = [['station-1', '{"a":1}'], ['station-2', '{"b":2}'], ['station-1', '{"c":3}']] as const;

  it('is the same for the same records in another order', () => {
    expect(sameFingerprint(of(input), of([input[2], input[0], input[1]]))).toBe(true);
    expect(of(input)).toMatchObject({ records: 3, bytes: 21 });
  });

  it('differs when one record is lost and another duplicated (same count)', () => {
    const wrong = of([input[0], input[1], input[1]]);
    expect(wrong.records).toBe(3);
    expect(sameFingerprint(of(input), wrong)).toBe(false);
  });

  it('tells a record whose key moved into its value, and a null key from an empty one, apart', () => {
    expect(sameFingerprint(of([['ab', 'c']]), of([['a', 'bc']]))).toBe(false);
    expect(sameFingerprint(of([[null, 'x']]), of([['', 'x']]))).toBe(false);
  });

  it('differs when a value changed by one byte', () => {
    expect(sameFingerprint(of(input), of([input[0], input[1], ['station-1', '{"c":4}']]))).toBe(false);
  });
});
