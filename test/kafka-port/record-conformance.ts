import { setTimeout as sleep } from 'node:timers/promises';
import { AmpsealError } from '@ampseal/core';
import { silentLogger } from '@ampseal/foundation';
import { RecordProducer, TopicAdmin, readToEnd, type KafkaClient, type KafkaPort, type ReadRecord } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { createTopics, produce } from '../harness/kafka';
import { uniqueName, type Resources } from '../harness/resources';

/**
 * The conformance suite for the port's record parts (issue 15): topic administration, the plain producer, the group
 * consumer and the exact reader must behave the same whichever client runs them. Each adapter's test file calls it
 * with a factory of its KafkaPort. What the adapter under test wrote is read back by the kafkajs adapter, and what it
 * reads was written by the kafkajs adapter (transactions included), so an adapter is never its own only witness.
 */
export function recordConformance(adapter: string, resources: Resources, makePort: () => KafkaPort): void {
  let port: KafkaPort;
  let witness: KafkaClient;
  beforeAll(() => {
    port = resources.add(`${adapter} port`, makePort(), (k) => k.close());
    witness = kafkaClient(`record-conformance-${adapter}-witness`);
  });

  const name = (label: string) => uniqueName(`records-${adapter}-${label}`);

  function admin(): TopicAdmin {
    return resources.add(`${adapter} admin`, new TopicAdmin(port), (a) => a.stop());
  }

  async function transactional(id: string): Promise<RecordProducer> {
    const producer = resources.add('transactional producer', new RecordProducer(witness, { transactionalId: id }), (p) => p.stop());
    await producer.start();
    return producer;
  }

  it('admin: creates only the missing topics with their settings, lists, describes and deletes them', async () => {
    const a = admin();
    const t1 = name('admin1');
    const t2 = name('admin2');
    resources.add('topics', [t1, t2], (names) => a.delete(names).catch(() => undefined));
    const created = await a.ensure([{ topic: t1, partitions: 3, config: { 'retention.ms': '3600000' } }, { topic: t2, partitions: 1 }], { factor: 1, minInsyncReplicas: 1 });
    expect(created.sort()).toEqual([t1, t2].sort());
    // Idempotent: nothing is created twice, and an existing topic is not an error.
    expect(await a.ensure([{ topic: t1, partitions: 3 }], { factor: 1 })).toEqual([]);
    expect(await a.list()).toEqual(expect.arrayContaining([t1, t2]));
    const leaders = await a.partitionLeaders(t1);
    expect([...leaders.keys()].sort()).toEqual([0, 1, 2]);
    for (const p of leaders.values()) expect(p.leader).toBeGreaterThanOrEqual(0);
    const settings = await a.topicConfig(t1, ['retention.ms', 'min.insync.replicas']);
    expect(settings.get('retention.ms')).toBe('3600000');
    expect(settings.get('min.insync.replicas')).toBe('1');
    // The kafkajs witness sees the same topic as created.
    const seenBy = resources.add('witness admin', new TopicAdmin(witness), (w) => w.stop());
    expect((await seenBy.partitionLeaders(t1)).size).toBe(3);
    await a.delete([t1, t2, name('never-created')]);
    const deadline = Date.now() + 30_000;
    while ((await a.list()).some((t) => t === t1 || t === t2) && Date.now() < deadline) await sleep(200);
    expect(await a.list()).not.toEqual(expect.arrayContaining([t1]));
  });

  it('producer: keyed records land on the partitions the kafkajs adapter picks, with their headers; the offsets it reports are where they are', async () => {
    const topic = name('produce');
    await createTopics(witness, resources, [{ topic, partitions: 4 }]);
    const producer = resources.add(`${adapter} producer`, port.producer(), (p) => p.stop());
    await producer.start();
    const records = Array.from({ length: 200 }, (_, i) => ({ topic, key: `subject-${i % 23}`, value: `v${i}`, headers: { n: String(i) } }));
    const written = await producer.sendAll(records);
    await producer.send({ topic, key: null, value: 'keyless' });
    await producer.stop();

    const { records: read } = await readToEnd(witness, [topic], { deadlineMs: 30_000 });
    expect(read).toHaveLength(201);
    // The same key → the same partition as kafkajs' default partitioner (and the Java client's) puts it.
    const kafkajsPartition = new Map<string, number>();
    const reference = resources.add('reference producer', new RecordProducer(witness), (p) => p.stop());
    await reference.start();
    const other = name('produce-ref');
    await createTopics(witness, resources, [{ topic: other, partitions: 4 }]);
    await reference.sendAll(records.map((r) => ({ ...r, topic: other })));
    for (const r of (await readToEnd(witness, [other], { deadlineMs: 30_000 })).records) kafkajsPartition.set(r.key!.toString(), r.partition);
    for (const r of read.filter((x) => x.key !== null)) expect(r.partition).toBe(kafkajsPartition.get(r.key!.toString()));
    // Headers and order within a partition are kept.
    const byPartition = new Map<number, number[]>();
    for (const r of read.filter((x) => x.key !== null)) (byPartition.get(r.partition) ?? byPartition.set(r.partition, []).get(r.partition)!).push(Number(r.headers.n));
    for (const ns of byPartition.values()) expect(ns).toEqual([...ns].sort((x, y) => x - y));
    // Every reported base offset holds the first record sent to that partition.
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) {
      const first = read.find((r) => r.partition === w.partition && BigInt(r.offset) === w.baseOffset);
      expect(first).toBeDefined();
    }
  });

  it('exact read: the end is taken first; an open transaction fails it as TRANSACTION_OPEN, and once committed every record is there', async () => {
    const topic = name('exact');
    await createTopics(witness, resources, [{ topic, partitions: 2 }]);
    await produce(witness, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` })));
    const tx = await transactional(`${topic}-tx`);
    const open = await tx.openTransaction(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `open-${i}` })));
    // The last stable offset stops before the open transaction; the high watermark does not.
    const a = admin();
    const stable = await a.offsets(topic);
    const high = (await a.highWatermarks([topic])).get(topic)!;
    const sum = (m: Map<number, { high: bigint }>) => [...m.values()].reduce((n, p) => n + p.high, 0n);
    expect(sum(high) - sum(stable)).toBe(20n);
    await expect(readToEnd(port, [topic], { deadlineMs: 1_500 })).rejects.toMatchObject({ code: new AmpsealError('TRANSACTION_OPEN').code });

    let ends: ReadonlyArray<{ end: bigint }> = [];
    const reading = readToEnd(port, [topic], { deadlineMs: 30_000, onEnds: (e) => (ends = e) });
    // A read that fails before taking its ends fails the test here instead of leaving this loop waiting.
    while (ends.length === 0) await Promise.race([sleep(20), reading]);
    await open.commit();
    // Written after the read took its ends: not part of the answer.
    await produce(witness, topic, [{ key: 'late', value: 'after' }]);
    const { records, partitions } = await reading;
    expect(records.map((r) => r.value!.toString()).sort()).toEqual([...Array.from({ length: 50 }, (_, i) => `before-${i}`), ...Array.from({ length: 20 }, (_, i) => `open-${i}`)].sort());
    expect(partitions.reduce((n, p) => n + p.records, 0)).toBe(70);
  });

  it('exact read: aborted records are never delivered, a partition ending in markers counts as read, and an empty topic answers at once', async () => {
    const topic = name('aborted');
    const empty = name('empty');
    await createTopics(witness, resources, [{ topic, partitions: 1 }, { topic: empty, partitions: 2 }]);
    const tx = await transactional(`${topic}-tx`);
    await tx.transaction([{ topic, key: 'a', value: 'committed-1' }], 'commit');
    await tx.transaction([{ topic, key: 'a', value: 'aborted-1' }], 'abort');
    await tx.transaction([{ topic, key: 'a', value: 'aborted-2' }], 'abort');
    await tx.transaction([{ topic, key: 'a', value: 'committed-2' }], 'commit');
    await tx.transaction([{ topic, key: 'a', value: 'aborted-3' }], 'abort');
    const seen: ReadRecord[] = [];
    const { records, partitions } = await readToEnd(port, [topic], { deadlineMs: 30_000, keep: (r) => r.value!.toString().startsWith('committed-2'), onRecord: (r) => seen.push(r) });
    expect(seen.map((r) => r.value!.toString())).toEqual(['committed-1', 'committed-2']);
    expect(records.map((r) => r.value!.toString())).toEqual(['committed-2']);
    // Five transactions, each a record and a marker: the end is past the last (abort) marker.
    expect(partitions[0]!.end).toBe(10n);
    const quick = await readToEnd(port, [empty], { deadlineMs: 30_000 });
    expect(quick.records).toEqual([]);
    expect(quick.partitions).toHaveLength(2);
  });

  it('consumer: a group of its own reads every committed record once with its headers and time, commits as it goes, and hands a failed record again', async () => {
    const topic = name('consume');
    const group = name('consume-g');
    await createTopics(witness, resources, [{ topic, partitions: 3 }]);
    const before = Date.now();
    await produce(witness, topic, Array.from({ length: 90 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}`, headers: { n: String(i) } })));
    const tx = await transactional(`${topic}-tx`);
    await tx.transaction([{ topic, key: 'x', value: 'never' }], 'abort');
    const seen: ReadRecord[] = [];
    let failedOnce = false;
    const consumer = resources.add(
      `${adapter} consumer`,
      port.consumer({
        name: 'conformance',
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        logger: silentLogger,
        sessionTimeoutMs: 10_000,
        onRecord: (r) => {
          // At least once: a handler that fails is handed the record again.
          if (r.value!.toString() === 'v45' && !failedOnce) {
            failedOnce = true;
            throw new AmpsealError('KEYRING_UNAVAILABLE', 'the side effect failed once');
          }
          seen.push(r);
        },
      }),
      (c) => c.stop(),
    );
    await consumer.start();
    // kafkajs' run() resolves before its group join completes: joining is waited for (bounded), then asserted.
    const joinBy = Date.now() + 30_000;
    while (!consumer.hasJoined && Date.now() < joinBy) await sleep(50);
    expect(consumer.hasJoined).toBe(true);
    const deadline = Date.now() + 60_000;
    const distinct = () => new Set(seen.map((r) => r.value!.toString())).size;
    while (distinct() < 90 && Date.now() < deadline) await sleep(50);
    expect(distinct()).toBe(90);
    expect(seen.some((r) => r.value!.toString() === 'never')).toBe(false);
    const v45 = seen.find((r) => r.value!.toString() === 'v45')!;
    expect(failedOnce).toBe(true);
    expect(v45.headers.n).toBe('45');
    expect(v45.timestamp).toBeGreaterThanOrEqual(before - 1_000);
    // The group's offsets reach the end of every partition (the commit after each handled batch).
    const high = (await admin().highWatermarks([topic])).get(topic)!;
    const committedDeadline = Date.now() + 30_000;
    let committed = new Map<number, bigint>();
    for (;;) {
      committed = (await admin().committed(group, [topic])).get(topic) ?? new Map();
      // The abort marker is past the last data record: a group's commit stops at or just before it.
      const behind = [...high].filter(([p, o]) => (committed.get(p) ?? 0n) < o.high - 2n);
      if (behind.length === 0 || Date.now() > committedDeadline) break;
      await sleep(200);
    }
    for (const [p, o] of high) expect(committed.get(p) ?? 0n).toBeGreaterThanOrEqual(o.high - 2n);
  });
}
