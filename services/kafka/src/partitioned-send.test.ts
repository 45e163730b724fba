import { PartitionCounts, byPartition, defaultPartitioner, type RoutableRecord } from './partitioned-send';
import type { TopicAdmin } from './topics';

const record = (topic: string, key: string | null, partition?: number): RoutableRecord => ({ topic, key, value: `v-${key}`, ...(partition !== undefined ? { partition } : {}) });

describe('byPartition', () => {
  it('puts the records of one call in batches of exactly one topic-partition each, every record once, in order', () => {
    const records = [...Array.from({ length: 200 }, (_, i) => record('a', `k${i}`)), ...Array.from({ length: 50 }, (_, i) => record('b', `k${i}`))];
    const batches = byPartition(records, (t) => (t === 'a' ? 6 : 3));
    for (const b of batches) for (const m of b.messages) expect(m.partition).toBe(b.partition);
    expect(new Set(batches.map((b) => `${b.topic}:${b.partition}`)).size).toBe(batches.length);
    expect(batches.filter((b) => b.topic === 'a').length).toBe(6);
    expect(batches.flatMap((b) => b.messages.map((m) => m.value)).sort()).toEqual(records.map((r) => r.value).sort());
    const a0 = batches.find((b) => b.topic === 'a' && b.partition === 0)!;
    const keys = a0.messages.map((m) => Number(String(m.key).slice(1)));
    expect(keys).toEqual([...keys].sort((x, y) => x - y));
  });

  it('places a keyed record by its key alone: the same partition on every call and from every partitioner', () => {
    const partitioner = defaultPartitioner();
    const first = byPartition([record('a', 'station-7')], () => 12, partitioner)[0]!.partition;
    for (let i = 0; i < 5; i++) expect(byPartition([record('a', 'station-7')], () => 12, defaultPartitioner())[0]!.partition).toBe(first);
  });

  it('keeps a partition the caller chose, and spreads keyless records over every partition', () => {
    expect(byPartition([record('a', 'x', 4)], () => 6)[0]!.partition).toBe(4);
    const partitioner = defaultPartitioner();
    const batches = byPartition(Array.from({ length: 30 }, () => record('a', null)), () => 3, partitioner);
    expect(batches.map((b) => b.partition).sort()).toEqual([0, 1, 2]);
    for (const b of batches) expect(b.messages).toHaveLength(10);
  });
});

describe('PartitionCounts', () => {
  /** A stand-in for the admin's metadata answer: how many partitions each topic has, and how often it was asked. */
  function admin(partitions: Map<string, number>) {
    const asked: string[] = [];
    const stub = {
      partitionLeaders: async (topic: string) => {
        asked.push(topic);
        return new Map(Array.from({ length: partitions.get(topic) ?? 0 }, (_, i) => [i, { leader: 1, replicas: [1], isr: [1] }]));
      },
    } as unknown as TopicAdmin;
    return { stub, asked };
  }

  it('asks the broker once per topic, again after five minutes (partitions added later are used)', async () => {
    const partitions = new Map([['a', 2]]);
    const { stub, asked } = admin(partitions);
    let now = 0;
    const counts = new PartitionCounts(stub, () => now);
    await counts.route([record('a', 'k1'), record('a', 'k2')]);
    await counts.route([record('a', 'k3')]);
    expect(asked).toEqual(['a']);
    partitions.set('a', 4);
    now = 299_999;
    await counts.load(['a']);
    expect(counts.of('a')).toBe(2);
    now = 300_000;
    await counts.load(['a']);
    expect(counts.of('a')).toBe(4);
  });

  it('does not ask for records whose partition is chosen, and reports a topic without partitions as retriable', async () => {
    const { stub, asked } = admin(new Map());
    const counts = new PartitionCounts(stub, Date.now, async () => undefined);
    expect(await counts.route([record('gone', 'k', 1)])).toHaveLength(1);
    expect(asked).toEqual([]);
    await expect(counts.route([record('gone', 'k')])).rejects.toMatchObject({ code: 'AMPSEAL_ERR_BROKER_UNAVAILABLE' });
    expect(asked).toHaveLength(8);
  });

  it('asks again for a topic created a moment ago, until the metadata has its partitions', async () => {
    const partitions = new Map<string, number>();
    const { stub, asked } = admin(partitions);
    const counts = new PartitionCounts(stub, Date.now, async () => {
      if (asked.length === 3) partitions.set('new', 3);
    });
    await counts.load(['new']);
    expect(counts.of('new')).toBe(3);
    expect(asked).toHaveLength(4);
  });
});
