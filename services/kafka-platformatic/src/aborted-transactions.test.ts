import { dropAborted } from './aborted-transactions';

const TX = 1 << 4;
const CONTROL = 1 << 5;
const marker = (type: 0 | 1) => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return [{ key }];
};
const data = (pid: bigint, offset: number, n = 1) => ({ firstOffset: BigInt(offset), lastOffsetDelta: n - 1, attributes: TX, producerId: pid, records: Array.from({ length: n }, () => ({ key: null })) });
const control = (pid: bigint, offset: number, type: 0 | 1) => ({ firstOffset: BigInt(offset), lastOffsetDelta: 0, attributes: TX | CONTROL, producerId: pid, records: marker(type) });

describe('read_committed: the data batches of aborted transactions are emptied, as the Java client skips them', () => {
  it('two aborted transactions of one producer in one fetch (the library kept only the last)', () => {
    const records = [data(7n, 0, 2), control(7n, 2, 1), data(7n, 3, 2), control(7n, 5, 0), data(7n, 6), control(7n, 7, 0), data(7n, 8), control(7n, 9, 1)];
    dropAborted({ abortedTransactions: [{ producerId: 7n, firstOffset: 6n }, { producerId: 7n, firstOffset: 3n }], records });
    expect(records.map((b) => b.records.length)).toEqual([2, 1, 0, 1, 0, 1, 1, 1]);
  });

  it('an aborted transaction whose marker is beyond this fetch is still dropped; other producers are untouched', () => {
    const records = [data(1n, 0), data(2n, 1), data(1n, 2)];
    dropAborted({ abortedTransactions: [{ producerId: 1n, firstOffset: 0n }], records });
    expect(records.map((b) => b.records.length)).toEqual([0, 1, 0]);
  });

  it('a non-transactional batch and a fetch without aborted transactions are left alone', () => {
    const records = [{ ...data(3n, 0), attributes: 0 }, data(3n, 1)];
    expect(dropAborted({ abortedTransactions: [], records })).toBe(0);
    expect(dropAborted({ abortedTransactions: [{ producerId: 3n, firstOffset: 0n }], records: [records[0]!] })).toBe(0);
  });
});
