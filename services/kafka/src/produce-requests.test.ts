import { MAX_PRODUCE_REQUEST_BYTES, produceRequests, recordBytes } from './produce-requests';

const rec = (bytes: number, key: string | null = 'k') => ({ key, value: Buffer.alloc(bytes) });

describe('produce requests inside one transaction', () => {
  it('keeps a chunk that fits as one request, the same array', () => {
    const records = Array.from({ length: 2_000 }, () => rec(200));
    const runs = produceRequests(records);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBe(records);
  });

  it('cuts five quarantined 256 KiB raw records into requests each under the budget, in order, none lost', () => {
    const records = [rec(100), ...Array.from({ length: 5 }, () => rec(256 * 1024)), rec(100)];
    const runs = produceRequests(records);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.flat()).toEqual(records);
    for (const run of runs) expect(run.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(MAX_PRODUCE_REQUEST_BYTES);
  });

  it('sends a record larger than the budget alone, never dropping it', () => {
    const big = rec(MAX_PRODUCE_REQUEST_BYTES + 1);
    const runs = produceRequests([rec(10), big, rec(10)]);
    expect(runs).toEqual([[expect.anything()], [big], [expect.anything()]]);
  });

  it('counts keys and headers, not only values', () => {
    const plain = recordBytes({ key: null, value: 'v' });
    expect(recordBytes({ key: 'abc', value: 'v', headers: { 'ampseal.reason': 'bad_json' } })).toBe(plain + 3 + 8 + 14 + 8);
  });

  it('makes no request for no outputs', () => {
    expect(produceRequests([])).toEqual([]);
  });
});
