import { abortedRecords, type FetchedRecord } from './aborted-transactions';

const dropAborted = <T extends FetchedRecord>(records: T[], aborted: Parameters<typeof abortedRecords>[1]) => {
  const out = abortedRecords(records, aborted);
  return records.filter((r) => !out.has(r));
};

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const rec = (offset: number, producerId: string, inTransaction = true): FetchedRecord & { v: string } => ({ offset: String(offset), batchContext: { producerId, inTransaction }, v: `${producerId}${offset}` });
const marker = (offset: number, producerId: string, key: Buffer): FetchedRecord & { v: string } => ({ offset: String(offset), isControlRecord: true, key, batchContext: { producerId, inTransaction: true }, v: `${producerId}${offset}!` });

describe('records of aborted transactions in a read_committed fetch', () => {
  // a: 0-2 (aborted last, marker 10), b: 3-5 (aborted, marker 6), c: 7-8 committed (marker 9), 11-12 committed (13).
  const log = [rec(0, 'a'), rec(1, 'a'), rec(2, 'a'), rec(3, 'b'), rec(4, 'b'), rec(5, 'b'), marker(6, 'b', ABORT), rec(7, 'c'), rec(8, 'c'), marker(9, 'c', COMMIT), marker(10, 'a', ABORT), rec(11, 'c'), rec(12, 'c'), marker(13, 'c', COMMIT)];

  it('drops both overlapping aborted transactions when the broker lists them in marker order, the earlier one last', () => {
    const kept = dropAborted(log, [
      { producerId: 'b', firstOffset: '3' },
      { producerId: 'a', firstOffset: '0' },
    ]);
    expect(kept.filter((r) => !r.isControlRecord).map((r) => r.v)).toEqual(['c7', 'c8', 'c11', 'c12']);
  });

  it('opens every aborted transaction that began before a fetch starting mid-way, not one per record', () => {
    const fromFour = log.slice(4);
    const kept = dropAborted(fromFour, [
      { producerId: 'a', firstOffset: '0' },
      { producerId: 'b', firstOffset: '3' },
    ]);
    expect(kept.filter((r) => !r.isControlRecord).map((r) => r.v)).toEqual(['c7', 'c8', 'c11', 'c12']);
  });

  it('keeps control records, non-transactional records, and a producer’s later committed transaction', () => {
    const kept = dropAborted([rec(0, 'p'), marker(1, 'p', ABORT), rec(2, 'p'), marker(3, 'p', COMMIT), rec(4, 'q', false)], [{ producerId: 'p', firstOffset: '0' }]);
    expect(kept.map((r) => r.v)).toEqual(['p1!', 'p2', 'p3!', 'q4']);
  });

  it('finds nothing when nothing was aborted', () => {
    expect(abortedRecords(log, []).size).toBe(0);
  });
});
