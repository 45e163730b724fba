import { fetchedRecords, type FetchedPartition } from './reader';

const TX = 1 << 4;
const CONTROL = 1 << 5;
type FetchedBatch = NonNullable<FetchedPartition['records']>[number];

function data(pid: bigint, offset: number, values: string[], attributes = TX): FetchedBatch {
  return {
    firstOffset: BigInt(offset),
    lastOffsetDelta: values.length - 1,
    attributes,
    producerId: pid,
    firstTimestamp: 1_000n,
    records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: BigInt(i), key: Buffer.from('k'), value: Buffer.from(v), headers: [[Buffer.from('h'), Buffer.from(v)]] })),
  };
}

function marker(pid: bigint, offset: number, type: 0 | 1): FetchedBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return { firstOffset: BigInt(offset), lastOffsetDelta: 0, attributes: TX | CONTROL, producerId: pid, firstTimestamp: 0n, records: [{ offsetDelta: 0, timestampDelta: 0n, key, value: null, headers: [] }] };
}

describe('the platformatic partition reader: what one fetched partition delivers and where the position goes', () => {
  it('a committed transaction: its records with offsets, headers and CreateTime; the position passes the commit marker', () => {
    const { records, next } = fetchedRecords('t', 0, 0n, { abortedTransactions: [], records: [data(1n, 0, ['a', 'b']), marker(1n, 2, 1)] });
    expect(records.map((r) => [r.offset, r.value!.toString(), r.headers.h, r.timestamp])).toEqual([
      ['0', 'a', 'a', 1_000],
      ['1', 'b', 'b', 1_001],
    ]);
    expect(next).toBe(3n);
  });

  it('an aborted transaction delivers nothing, and the position still passes its records and marker', () => {
    const { records, next } = fetchedRecords('t', 0, 0n, { abortedTransactions: [{ producerId: 1n, firstOffset: 0n }], records: [data(1n, 0, ['x', 'y']), marker(1n, 2, 0), data(2n, 3, ['z'], 0)] });
    expect(records.map((r) => r.value!.toString())).toEqual(['z']);
    expect(next).toBe(4n);
  });

  it('a batch that begins before the offset asked for: its earlier records are not delivered again', () => {
    const { records, next } = fetchedRecords('t', 0, 5n, { abortedTransactions: null, records: [data(3n, 3, ['r3', 'r4', 'r5', 'r6'], 0)] });
    expect(records.map((r) => r.offset)).toEqual(['5', '6']);
    expect(next).toBe(7n);
  });

  it('nothing fetched (the partition is held behind an open transaction): nothing delivered, the position stays', () => {
    expect(fetchedRecords('t', 1, 9n, { abortedTransactions: null, records: [] })).toEqual({ records: [], next: 9n });
    expect(fetchedRecords('t', 1, 9n, {})).toEqual({ records: [], next: 9n });
  });
});
