import { RecordProducer, highWatermarks, readToEnd } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { createTopics, topicAdmin } from '../harness/kafka';
import { uniqueName, useResources } from '../harness/resources';

const resources = useResources();

describe('Kafka (KRaft, transactions on one broker)', () => {
  it('shows a read_committed reader the committed transactions and never the aborted one, and reads past the markers to the end', async () => {
    const kafka = kafkaClient(uniqueName('smoke'));
    const topic = uniqueName('smoke.tx');
    await createTopics(kafka, resources, [{ topic }]);

    const producer = resources.add('producer', new RecordProducer(kafka, { transactionalId: uniqueName('smoke-tx') }), (p) => p.stop());
    await producer.start();
    const send = (values: string[], outcome: 'commit' | 'abort') =>
      producer.transaction(values.map((value) => ({ topic, key: 'CP-1', value })), outcome);
    await send(['committed-1', 'committed-2'], 'commit');
    await send(['aborted-1'], 'abort');
    await send(['committed-3'], 'commit');
    // The coordinator writes the last commit marker after the commit call returned: the read is to start behind it.
    while ((await highWatermarks(kafka, [topic])).get(topic)!.get(0)!.high < 7n) await new Promise((r) => setTimeout(r, 20));

    const { records, partitions } = await readToEnd(kafka, [topic], { deadlineMs: 30_000 });
    expect(records.map((r) => r.value!.toString())).toEqual(['committed-1', 'committed-2', 'committed-3']);
    // Seven offsets (four records, three markers); three records delivered, and the read still reached the end.
    expect(partitions).toEqual([{ topic, partition: 0, end: 7n, records: 3 }]);
  });
});

/**
 * A transaction open when an exact read starts (a shredder mid-erasure, or one that crashed inside it): its records
 * are below the partition's high watermark but past its last stable offset. The read must wait for it to finish, not
 * stop at the last stable offset and answer without them (issue 12, finding 1).
 */
describe('readToEnd with a transaction open when it starts', () => {
  const OPEN = 200;
  /** Three committed records (offsets 0-2, marker 3), then OPEN records (4…) of a transaction left open. */
  async function journalWithOpenTail() {
    const kafka = kafkaClient(uniqueName('smoke'));
    const topic = uniqueName('smoke.open');
    const empty = uniqueName('smoke.empty');
    await createTopics(kafka, resources, [{ topic }, { topic: empty }]);
    const producer = resources.add('producer', new RecordProducer(kafka, { transactionalId: uniqueName('smoke-open') }), (p) => p.stop());
    await producer.start();
    await producer.transaction(['before-1', 'before-2', 'before-3'].map((value) => ({ topic, key: 'CP-1', value })), 'commit');
    const open = await producer.openTransaction(Array.from({ length: OPEN }, (_, i) => ({ topic, key: 'CP-1', value: `open-${i}` })));
    // Clean-up (newest first) aborts it before the producer stops, unless the test finished it.
    const release = resources.hold('open transaction', () => open.abort().catch(() => undefined));
    let finished = false;
    let finishing: Promise<void> | undefined;
    /** Finishes the transaction a second after the read has read the committed head (so after it took its ends). */
    const finishAfterHead = (outcome: 'commit' | 'abort') => {
      let seen = 0;
      return () => {
        if (++seen !== 3) return;
        finishing = new Promise<void>((resolve) => setTimeout(resolve, 1_000)).then(async () => {
          finished = true;
          await (outcome === 'commit' ? open.commit() : open.abort());
          release();
        });
        // A failed commit shows as records missing from the read; clean-up still aborts what is open.
        finishing.catch(() => undefined);
      };
    };
    return { kafka, topic, empty, open, release, finishAfterHead, finished: () => finished, finishing: () => finishing };
  }

  it('ends a partition at its high watermark, past the open transaction where the last stable offset stops, and past a closing marker', async () => {
    const { kafka, topic, empty, open, release } = await journalWithOpenTail();
    const admin = resources.add('admin', topicAdmin(kafka), (a) => a.stop());
    const partition0 = async () => (await highWatermarks(kafka, [topic])).get(topic)!.get(0);
    expect(await highWatermarks(kafka, [topic, empty])).toEqual(
      new Map([
        [topic, new Map([[0, { low: 0n, high: BigInt(4 + OPEN) }]])],
        [empty, new Map([[0, { low: 0n, high: 0n }]])],
      ]),
    );
    // What kafkajs' admin answers (READ_COMMITTED): the open transaction's first offset.
    expect((await admin.offsets(topic)).get(0)).toEqual({ low: 0n, high: 4n });
    await open.abort();
    release();
    // The coordinator writes the abort marker after it has answered the abort: wait for the last stable offset to
    // pass it. The marker takes an offset of its own, and the two ends agree again.
    const stableAfterAbort = async () => {
      for (const deadline = Date.now() + 20_000; ; ) {
        const high = (await admin.offsets(topic)).get(0)!.high;
        if (high > 4n || Date.now() > deadline) return high;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    expect(await stableAfterAbort()).toBe(BigInt(5 + OPEN));
    expect(await partition0()).toEqual({ low: 0n, high: BigInt(5 + OPEN) });
  });

  it('waits for a transaction open at the start and, once it commits, reads and counts all its records', async () => {
    const { kafka, topic, empty, finishAfterHead, finished, finishing } = await journalWithOpenTail();
    const { records, partitions } = await readToEnd(kafka, [topic, empty], { deadlineMs: 30_000, onRecord: finishAfterHead('commit') });
    // The read could only end after the commit: the end includes the open records, not the commit marker after them.
    expect(finished()).toBe(true);
    await finishing();
    expect(records.map((r) => r.value!.toString())).toEqual(['before-1', 'before-2', 'before-3', ...Array.from({ length: OPEN }, (_, i) => `open-${i}`)]);
    expect(partitions).toEqual([
      { topic, partition: 0, end: BigInt(4 + OPEN), records: 3 + OPEN },
      // An empty partition is read to its end at once.
      { topic: empty, partition: 0, end: 0n, records: 0 },
    ]);
  });

  it('waits for a transaction open at the start and, once it aborts, passes its records and marker without delivering them', async () => {
    const { kafka, topic, finishAfterHead, finished, finishing } = await journalWithOpenTail();
    const { records, partitions } = await readToEnd(kafka, [topic], { deadlineMs: 30_000, onRecord: finishAfterHead('abort') });
    expect(finished()).toBe(true);
    await finishing();
    expect(records.map((r) => r.value!.toString())).toEqual(['before-1', 'before-2', 'before-3']);
    expect(partitions).toEqual([{ topic, partition: 0, end: BigInt(4 + OPEN), records: 3 }]);
  });

  it('fails with TRANSACTION_OPEN, not a partial answer, when the transaction is still open at the deadline', async () => {
    const { kafka, topic, open, release } = await journalWithOpenTail();
    const outcome = await readToEnd(kafka, [topic], { deadlineMs: 1_500 }).then(
      (r) => ({ records: r.records.length }),
      (err: unknown) => ({ code: (err as { code?: string }).code, retriable: (err as { retriable?: boolean }).retriable }),
    );
    expect(outcome).toEqual({ code: 'AMPSEAL_ERR_TRANSACTION_OPEN', retriable: true });
    await open.abort();
    release();
  });
});

/**
 * The broker lists a fetch's aborted transactions in the order their abort markers were written, not by first
 * offset. Two overlapping transactions where the one that began first is aborted last are what a crash leaves: the
 * killed instance's open transaction is aborted only when a later instance takes its partition, after other
 * transactions began and ended. A read_committed reader must deliver neither.
 */
describe('read_committed with overlapping aborted transactions', () => {
  it('delivers no record of two overlapping aborted transactions, the earlier one aborted last, and every committed one', async () => {
    const kafka = kafkaClient(uniqueName('smoke'));
    const topic = uniqueName('smoke.aborts');
    await createTopics(kafka, resources, [{ topic }]);
    const producer = (name: string) => resources.add(name, new RecordProducer(kafka, { transactionalId: uniqueName(name) }), (p) => p.stop());
    const a = producer('smoke-a');
    const b = producer('smoke-b');
    const c = producer('smoke-c');
    await Promise.all([a.start(), b.start(), c.start()]);
    const records = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ topic, key: 'CP-1', value: `${prefix}-${i}` }));
    const first = await a.openTransaction(records('aborted-first', 3));
    const second = await b.openTransaction(records('aborted-second', 3));
    await second.abort();
    await c.transaction(records('committed', 2), 'commit');
    await first.abort();
    await c.transaction(records('committed-after', 2), 'commit');
    while ((await highWatermarks(kafka, [topic])).get(topic)!.get(0)!.high < 14n) await new Promise((r) => setTimeout(r, 20));

    const { records: read } = await readToEnd(kafka, [topic], { deadlineMs: 30_000 });
    expect(read.map((r) => r.value!.toString())).toEqual(['committed-0', 'committed-1', 'committed-after-0', 'committed-after-1']);
  });
});
