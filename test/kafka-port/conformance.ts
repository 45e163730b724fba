import { AmpsealError } from '@ampseal/core';
import { silentLogger } from '@ampseal/foundation';
import { RecordProducer, readToEnd, type ConsumedRecord, type KafkaClient, type OutputRecord, type StreamHandler, type StreamPort, type StreamSpec } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { GroupProgress, createTopics, produce } from '../harness/kafka';
import { uniqueName, type Resources } from '../harness/resources';

/**
 * One conformance suite for the Kafka port (issue 15): whatever client an adapter runs on, its transactional stream
 * must behave the same on the real broker. Each adapter has one test file that calls `conformance` with a factory of
 * its stream. What is checked is read through the other adapter where it can be (the harness reads and writes
 * with the kafkajs adapter), so an adapter is never its own witness.
 */
export type StreamFactory = (spec: StreamSpec) => StreamPort;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each input → one output on `out`, keyed like the input, naming its source in a header. */
function passthrough(out: string, seen?: ConsumedRecord[]): StreamHandler {
  return async (records) => {
    seen?.push(...records);
    return records.map((r): OutputRecord => ({ topic: out, key: r.key, value: r.value ?? '', headers: { src: `${r.topic}:${r.partition}:${r.offset}` } }));
  };
}

async function until(what: () => Promise<boolean> | boolean, timeoutMs: number, label: string): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${label}`);
    await sleep(50);
  }
}

/** Sources of the outputs read read_committed to the end: each input offset once, none missing. */
async function sources(kafka: KafkaClient, topic: string): Promise<string[]> {
  const { records } = await readToEnd(kafka, [topic], { deadlineMs: 30_000 });
  return records.map((r) => r.headers.src ?? 'no source');
}

function inputs(n: number, from = 0): Array<{ key: string; value: string }> {
  return Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 37}`, value: `v${from + i}` }));
}

export function conformance(adapter: string, resources: Resources, makeStream: StreamFactory): void {
  let kafka: KafkaClient;
  beforeAll(() => {
    kafka = kafkaClient(`conformance-${adapter}`);
  });

  function names(label: string) {
    const id = uniqueName(`port-${adapter}-${label}`);
    return { input: `${id}-in`, output: `${id}-out`, group: `${id}-g` };
  }

  function start(spec: Omit<StreamSpec, 'logger' | 'transactionalIdPrefix'> & { transactionalIdPrefix?: string }): Promise<StreamPort> {
    const stream = makeStream({ logger: silentLogger, transactionalIdPrefix: `${spec.groupId}-tx`, sessionTimeoutMs: 10_000, ...spec });
    resources.add(`${adapter} stream`, stream, (s) => s.stop());
    return stream.start().then(() => stream);
  }

  it('commits: every input becomes exactly one output, and the group offset moves past it in the same transaction', async () => {
    const t = names('commit');
    await createTopics(kafka, resources, [{ topic: t.input, partitions: 3 }, { topic: t.output, partitions: 3 }]);
    await produce(kafka, t.input, inputs(300));
    const stream = await start({ groupId: t.group, topics: [t.input], handler: passthrough(t.output), maxRecordsPerTransaction: 50 });
    const progress = new GroupProgress(kafka, t.group, t.input);
    await progress.reach(300);
    await stream.stop();
    const out = await sources(kafka, t.output);
    expect(out).toHaveLength(300);
    expect(new Set(out).size).toBe(300);
    expect(await progress.committed()).toBe(300);
  });

  it('at least once: the outputs are acknowledged, then the offset is committed; every input appears, the offset reaches the end', async () => {
    const t = names('alo');
    await createTopics(kafka, resources, [{ topic: t.input, partitions: 2 }, { topic: t.output }]);
    await produce(kafka, t.input, inputs(200));
    const stream = await start({ groupId: t.group, topics: [t.input], handler: passthrough(t.output), delivery: 'at-least-once', maxRecordsPerTransaction: 30 });
    const progress = new GroupProgress(kafka, t.group, t.input);
    await progress.reach(200);
    await stream.stop();
    const out = await sources(kafka, t.output);
    // No fault here, so nothing is written twice either.
    expect(out).toHaveLength(200);
    expect(new Set(out).size).toBe(200);
  });

  it('read_committed: records of aborted input transactions (two aborts by one producer in a row) never reach the handler', async () => {
    const t = names('rc');
    await createTopics(kafka, resources, [{ topic: t.input }, { topic: t.output }]);
    const producer = resources.add('input producer', new RecordProducer(kafka, { transactionalId: `${t.group}-writer` }), (p) => p.stop());
    await producer.start();
    const rec = (value: string): OutputRecord => ({ topic: t.input, key: 'k', value });
    await producer.transaction([rec('c1'), rec('c2')], 'commit');
    await producer.transaction([rec('a1'), rec('a2')], 'abort');
    await producer.transaction([rec('a3')], 'abort');
    await producer.transaction([rec('c3')], 'commit');
    await producer.stop();
    const seen: ConsumedRecord[] = [];
    const stream = await start({ groupId: t.group, topics: [t.input], handler: passthrough(t.output, seen) });
    await until(() => seen.some((r) => r.value?.toString() === 'c3'), 30_000, 'the last committed input');
    await stream.stop();
    expect(seen.map((r) => r.value?.toString())).toEqual(['c1', 'c2', 'c3']);
  });

  it('a retriable handler failure commits nothing (blockedBy names it) and the chunk passes once the dependency is back', async () => {
    const t = names('retry');
    await createTopics(kafka, resources, [{ topic: t.input }, { topic: t.output }]);
    await produce(kafka, t.input, inputs(20));
    let failures = 0;
    const base = passthrough(t.output);
    const stream = await start({
      groupId: t.group,
      topics: [t.input],
      backoffMs: { initial: 50, max: 100 },
      handler: async (records) => {
        if (failures < 3) {
          failures++;
          throw new AmpsealError('KEYRING_UNAVAILABLE');
        }
        return base(records);
      },
    });
    const progress = new GroupProgress(kafka, t.group, t.input);
    await until(() => stream.blockedBy === 'keyring_unavailable' || failures >= 3, 30_000, 'the pause');
    await progress.reach(20);
    expect(stream.blockedBy).toBeUndefined();
    await stream.stop();
    expect((await sources(kafka, t.output)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${t.input}:0:${i}`).sort());
  });

  it('zombie fencing: a newer producer of the partition transactional id aborts the open transaction; the stream stops with producer_fenced, nothing of it is visible, the offset stays', async () => {
    const t = names('fence');
    await createTopics(kafka, resources, [{ topic: t.input }, { topic: t.output }]);
    await produce(kafka, t.input, inputs(10));
    let failed: AmpsealError | undefined;
    let gate: (() => void) | undefined;
    let calls = 0;
    const base = passthrough(t.output);
    const stream = await start({
      groupId: t.group,
      topics: [t.input],
      onFailure: (e) => {
        failed = e;
      },
      handler: async (records) => {
        calls++;
        // The second chunk waits inside its handler until the zombie has fenced the partition's producer.
        if (calls === 2) await new Promise<void>((resolve) => (gate = resolve));
        return base(records);
      },
    });
    const progress = new GroupProgress(kafka, t.group, t.input);
    await progress.reach(10);
    await produce(kafka, t.input, inputs(10, 10));
    await until(() => gate !== undefined, 30_000, 'the second chunk');
    const zombie = resources.add('zombie', new RecordProducer(kafka, { transactionalId: `${t.group}-tx-${t.input}-0` }), (p) => p.stop());
    await zombie.start();
    await zombie.transaction([], 'abort');
    gate!();
    await until(() => failed !== undefined, 30_000, 'the failure');
    expect(failed!.reason).toBe('producer_fenced');
    expect(stream.failedBy?.reason).toBe('producer_fenced');
    expect(await progress.committed()).toBe(10);
    expect(await sources(kafka, t.output)).toHaveLength(10);
  });

  it('rebalance: a second member joins mid-stream, partitions move, every input is output exactly once', async () => {
    const t = names('rebalance');
    await createTopics(kafka, resources, [{ topic: t.input, partitions: 4 }, { topic: t.output, partitions: 2 }]);
    const slow: StreamHandler = async (records) => {
      await sleep(5);
      return passthrough(t.output)(records);
    };
    await produce(kafka, t.input, inputs(400));
    const a = await start({ groupId: t.group, topics: [t.input], handler: slow, maxRecordsPerTransaction: 20 });
    const progress = new GroupProgress(kafka, t.group, t.input);
    await progress.reach(100);
    const b = await start({ groupId: t.group, topics: [t.input], handler: slow, maxRecordsPerTransaction: 20 });
    await produce(kafka, t.input, inputs(400, 400));
    await progress.reach(800);
    await until(() => a.isAssigned && b.isAssigned, 30_000, 'both members to own partitions');
    await Promise.all([a.stop(), b.stop()]);
    const out = await sources(kafka, t.output);
    expect(new Set(out).size).toBe(800);
    expect(out).toHaveLength(800);
  });

  it('a partition moving while a chunk of it is in hand: the chunk is committed by one member only (the old owner never fences the new one)', async () => {
    const t = names('inhand');
    await createTopics(kafka, resources, [{ topic: t.input, partitions: 2 }, { topic: t.output }]);
    await produce(kafka, t.input, inputs(40));
    const base = passthrough(t.output);
    const hold = holdFirstChunk(base);
    // The first member holds its first chunk until the second member has joined and worked: the group rebalances
    // meanwhile, and the held chunk's partition may have moved (one in two: the assignor decides).
    // Sessions long enough that the hold below never expires a member: this is a partition moving by rebalance.
    const a = await start({
      groupId: t.group,
      topics: [t.input],
      maxRecordsPerTransaction: 5,
      sessionTimeoutMs: 30_000,
      handler: hold.handler,
    });
    await until(() => hold.held, 30_000, 'the held chunk');
    // Not awaited: kafkajs' start waits for the join, which waits for the chunk in hand (kafkajs rejoins only once
    // it is done); @platformatic/kafka rejoins beside it, and the second member works before the release.
    let b: StreamPort | undefined;
    const bStarted = start({ groupId: t.group, topics: [t.input], handler: base, maxRecordsPerTransaction: 5, sessionTimeoutMs: 30_000 }).then((s) => (b = s));
    await until(() => b?.isAssigned === true, 5_000, 'the second member to own a partition').catch(() => undefined);
    await sleep(1_000);
    hold.release();
    await bStarted;
    const progress = new GroupProgress(kafka, t.group, t.input);
    await progress.reach(40);
    await Promise.all([a.stop(), b!.stop()]);
    const out = await sources(kafka, t.output);
    expect(new Set(out).size).toBe(40);
    expect(out).toHaveLength(40);
  });

  it('a handler call longer than the session: the member whose session expired commits nothing of what it held', async () => {
    const t = names('expired');
    await createTopics(kafka, resources, [{ topic: t.input, partitions: 2 }, { topic: t.output }]);
    await produce(kafka, t.input, inputs(40));
    const base = passthrough(t.output);
    const hold = holdFirstChunk(base);
    // The first member's first chunk takes longer than its 6 s session (a dependency timing out slowly, say): the
    // group expires it and the second member takes every partition and commits all of them. When the held call returns,
    // its chunk was already committed by the new owner: committing it again would write it twice. (kafkajs adapter:
    // the old member's producer was fenced when the new owner's was made, so its commit is refused and it stops,
    // policy `stop`, as any zombie; before, its producer made its InitProducerId only at this late commit, fenced the
    // new owner instead, and 21 records were written twice.)
    const a = await start({
      groupId: t.group,
      topics: [t.input],
      maxRecordsPerTransaction: 5,
      sessionTimeoutMs: 6_000,
      handler: hold.handler,
    });
    await until(() => hold.held, 30_000, 'the held chunk');
    let b: StreamPort | undefined;
    const bStarted = start({ groupId: t.group, topics: [t.input], handler: base, maxRecordsPerTransaction: 5, sessionTimeoutMs: 6_000 }).then((s) => (b = s));
    const progress = new GroupProgress(kafka, t.group, t.input);
    // A client that heartbeats only between chunks (kafkajs) lets the session expire: the second member takes every
    // partition and commits all 40 while the chunk is held. One that heartbeats beside the handler (@platformatic/kafka)
    // keeps the member and its partitions: then the hold ends after twice the session, and the first member commits it.
    const expired = await until(async () => (await progress.committed()) >= 40, 12_000, 'every input committed by the second member').then(
      () => true,
      () => false,
    );
    hold.release();
    await bStarted;
    await progress.reach(40);
    if (expired) await sleep(3_000); // the held chunk's commit attempt, and whatever follows it
    await Promise.all([a.stop(), b!.stop()]);
    const out = await sources(kafka, t.output);
    expect(new Set(out).size).toBe(40);
    expect(out).toHaveLength(40);
  });
}

/**
 * A handler that holds its first chunk until `release()` (a slow dependency, say) and passes every chunk to
 * `handler`; `held` turns true once that chunk is in hand.
 */
function holdFirstChunk(handler: StreamHandler): { readonly handler: StreamHandler; readonly held: boolean; release(): void } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  return {
    handler: async (records) => {
      if (!held) {
        held = true;
        await released;
      }
      return handler(records);
    },
    get held() {
      return held;
    },
    release: () => release(),
  };
}
