import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordProducer, TopicAdmin, readToEnd, type KafkaClient } from '@ampseal/kafka';
import { loadConfig } from '@ampseal/service-kit';
import { kafkaClient, registryClient } from '../harness/clients';
import { TestCluster } from '../harness/cluster';
import { endpoints } from '../harness/endpoints';
import { produce } from '../harness/kafka';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { exitOf, freePort, spawnService, waitForReady } from '../harness/processes';
import { pythonReader } from '../harness/python-reader';
import { fileResources, uniqueName, useResources } from '../harness/resources';

/**
 * Budget: a cold three-node start (15 s on a quiet machine, 40 s on a loaded one), four leader failovers (each
 * waits for the controller to notice the dead node, then for the group and transaction coordinators to move),
 * three node restarts.
 */
const BUDGET_MS = 480_000;
useResources({ budgetMs: BUDGET_MS });

/** Its own ports, beside both the single-node stack (9092) and a developer's `stack:up --brokers 3` (19092). */
const PORT_BASE = 19_192;
const TOTAL = 6_000;
/**
 * Kill points, as counts of committed input: the input leader's at a quarter, the output leader's at half, the
 * transaction coordinator's at three quarters.
 */
const POINTS = [TOTAL / 4, TOTAL / 2, (3 * TOTAL) / 4] as const;
/** Input produced beyond a kill point before the kill: transactions in flight when the broker dies. */
const SLACK = 300;
const RECORDS_PER_TRANSACTION = 20;
/** The topics whose every partition must be fully replicated again before the next kill. */
const INTERNAL_TOPICS = ['__consumer_offsets', '__transaction_state'];

const began = Date.now();
/** Where the run is, on stderr: a failure's message alone does not say which phase it came from. */
const note = (what: string) => process.stderr.write(`[leader-kill +${((Date.now() - began) / 1000).toFixed(1)} s] ${what}\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * Reads taken while a broker is down may fail until the cluster has moved the partition or coordinator: asked
 * again until they answer (the file's budget bounds the whole).
 */
async function retrying<T>(read: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch {
      await sleep(100);
    }
  }
}

/** The group's committed offsets and the topic's end offsets, per partition of the input topic. */
class Progress {
  constructor(
    private readonly admin: TopicAdmin,
    private readonly groupId: string,
    private readonly topic: string,
    /** Throws when waiting is pointless (the service exited): a wait fails at once instead of at the budget. */
    private readonly check: () => void = () => undefined,
  ) {}

  async committed(): Promise<Map<number, number>> {
    const offsets = await retrying(() => this.admin.committed(this.groupId, [this.topic]));
    return new Map([...(offsets.get(this.topic) ?? new Map<number, bigint>())].map(([p, o]) => [p, Number(o)]));
  }

  async total(): Promise<number> {
    return [...(await this.committed()).values()].reduce((a, b) => a + b, 0);
  }

  async ends(): Promise<Map<number, number>> {
    const offsets = await retrying(() => this.admin.offsets(this.topic));
    return new Map([...offsets].map(([p, { high }]) => [p, Number(high)]));
  }

  /** Polls until `done(committed per partition)` holds; resolves with the time it took. */
  async until(done: (committed: Map<number, number>) => boolean): Promise<number> {
    const started = Date.now();
    while (!done(await this.committed())) {
      this.check();
      await sleep(50);
    }
    return Date.now() - started;
  }
}

async function waitFullyReplicated(admin: TopicAdmin, topics: readonly string[], replicas: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const all = await retrying(() => Promise.all(topics.map((t) => admin.partitionLeaders(t))));
    if (all.every((partitions) => partitions.size > 0 && [...partitions.values()].every((p) => p.isr.length === replicas && p.leader >= 0))) {
      return Date.now() - started;
    }
    await sleep(100);
  }
}

async function leaderOf(admin: TopicAdmin, topic: string, partition: number): Promise<number> {
  for (;;) {
    const leader = (await retrying(() => admin.partitionLeaders(topic))).get(partition)?.leader ?? -1;
    if (leader >= 0) return leader;
    await sleep(100);
  }
}

interface Kill {
  readonly what: string;
  readonly node: number;
  readonly committedAtKill: number;
  /** Until the first input partition's committed offset moved past its value at the kill. */
  readonly firstProgressMs: number;
  /** Until every input partition's committed offset reached the end offset it had at the kill. */
  readonly caughtUpMs: number;
}

/**
 * Opt-in (`npm run test:cluster`): three more JVMs and about four minutes on a loaded 2-core machine (cold start
 * 20-40 s, the frozen-leader test 40-50 s, the pipeline run 2-3 minutes), past what `npm test` and `.ci/run` can
 * spend on one file.
 */
const clusterTests = process.env.AMPSEAL_CLUSTER_TESTS === '1' ? describe : describe.skip;

clusterTests('a three-broker cluster', () => {
  let cluster: TestCluster;
  let coldStartMs: number;
  beforeAll(async () => {
    cluster = new TestCluster({ portBase: PORT_BASE });
    coldStartMs = await cluster.up();
    note(`cluster up in ${coldStartMs} ms`);
  });

  it('writes every record of one produce call to two partitions when the leader of one dies with the request in flight and its partition moves to the leader of the other', async () => {
    const kafka = kafkaClient('leader-move', cluster.brokers);
    const admin = fileResources().add('admin', new TopicAdmin(kafka), (a) => a.stop());
    const topic = uniqueName('t-move');
    // Partition 0 on node 1 then node 2, partition 1 on node 2 then node 1: when node 1 dies, partition 0 can
    // only move to node 2, which leads partition 1 (one in-sync replica is enough, so writes go on).
    await admin.ensure([{ topic, partitions: 2, replicas: [[1, 2], [2, 1]] }], { factor: -1, minInsyncReplicas: 1 });
    // While node 1 hangs, a request to it waits for kafkajs' 30 s timeout: the waits below ask nodes 2 and 3 only.
    const others = fileResources().add('admin', new TopicAdmin(kafkaClient('leader-move-watch', cluster.brokers.slice(1))), (a) => a.stop());
    const placement = async (via = admin) => [...(await retrying(() => via.partitionLeaders(topic)))].map(([p, r]) => `${p}:${r.leader}:${r.isr.length}`).sort().join();
    while ((await placement()) !== '0:1:2,1:2:2') await sleep(100);
    const producer = fileResources().add('producer', new RecordProducer(kafka), (p) => p.stop());
    await producer.start();
    const records = (tag: string) => [0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ topic, partition, key: `${tag}-${i}`, value: `${tag}-${partition}-${i}` })));
    // The producer learns who leads what; then node 1 hangs, so the next call's request for partition 0 waits
    // on it while node 2 takes partition 1's. Node 2 acknowledges once the controller has dropped node 1 (which
    // also hands partition 0 to node 2); only then does node 1 die, failing the request still in flight.
    await producer.sendAll(records('before'));
    cluster.freeze(1);
    const sending = producer.sendAll(records('after'));
    while ((await placement(others)) !== '0:2:1,1:2:1') await sleep(100);
    // Both partitions on node 2 now: their end offsets are asked of node 2 alone.
    while (((await retrying(() => others.offsets(topic))).get(1)?.high ?? 0n) < 20n) await sleep(100);
    await cluster.kill(1);
    await sending;

    const { records: read } = await readToEnd(kafka, [topic], { deadlineMs: 60_000 });
    const values = read.map((r) => r.value!.toString());
    expect({ partition0: values.filter((v) => v.startsWith('after-0-')).length, partition1: values.filter((v) => v.startsWith('after-1-')).length }).toEqual({ partition0: 10, partition1: 10 });
    expect(values.sort()).toEqual([...records('before'), ...records('after')].map((r) => r.value).sort());
    await producer.stop();

    // Node 1 rejoins for the next test.
    await cluster.up();
    while ((await placement()).split(',').some((p) => !p.endsWith(':2'))) await sleep(100);
  });

  it('loses and duplicates nothing, and resumes by itself, when the leaders of an input and an output partition and the transaction coordinator are killed -9 mid-run', async () => {

    const port = freePort();
    const env = pipelineEnv({
      AMPSEAL_KAFKA_BROKERS: cluster.brokers.join(','),
      AMPSEAL_TOPIC_REPLICATION_FACTOR: '3',
      AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS: '2',
      AMPSEAL_HTTP_PORT: String(port),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: String(RECORDS_PER_TRANSACTION),
      AMPSEAL_KAFKA_SESSION_TIMEOUT_MS: '6000',
      AMPSEAL_AUDIENCES: 'analytics',
    });
    const config = loadConfig(env);
    const { ocppRaw: input, analytics: output } = config.topics;
    const kafka: KafkaClient = kafkaClient('leader-kill', cluster.brokers);
    const admin = new TopicAdmin(kafka);
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));
    let produced = 0;
    const produceUpTo = async (n: number) => {
      if (n <= produced) return;
      await produce(kafka, input, inputs.slice(produced, n), { idempotent: true });
      produced = n;
    };

    // The service creates its topics at start, replicated as configured.
    const child = spawnService('pseudonymizer', env);
    const progress = new Progress(admin, config.groupId, input, () => {
      if (child.exitCode !== null) throw new Error(`the pseudonymizer exited (${child.exitCode}) mid-run:\n${child.output.join('').slice(-4_000)}`);
    });
    await waitForReady(child, port);
    note('pseudonymizer ready');
    for (const topic of [input, output]) {
      const partitions = await admin.partitionLeaders(topic);
      expect(partitions.size).toBe(2);
      for (const p of partitions.values()) expect(p.replicas).toHaveLength(3);
      expect((await admin.topicConfig(topic, ['min.insync.replicas'])).get('min.insync.replicas')).toBe('2');
    }

    const kills: Kill[] = [];
    /** Kills `node`, feeds the input up to `nextUpTo`, and measures how long the pipeline took to move on. */
    const killAndMeasure = async (what: string, node: number, nextUpTo: number) => {
      note(`killing node ${node} (${what})`);
      const before = await progress.committed();
      const endsAtKill = await progress.ends();
      const killedAt = Date.now();
      await cluster.kill(node);
      // New input after the kill: resuming is visible even if everything before it had been committed.
      const feeding = produceUpTo(nextUpTo);
      const firstProgress = progress.until((c) => [...before].some(([p, o]) => (c.get(p) ?? 0) > o)).then(() => Date.now() - killedAt);
      const caughtUp = progress.until((c) => [...endsAtKill].every(([p, end]) => (c.get(p) ?? 0) >= end)).then(() => Date.now() - killedAt);
      const [firstProgressMs, caughtUpMs] = await Promise.all([firstProgress, caughtUp, feeding]);
      note(`resumed: first progress ${firstProgressMs} ms, caught up ${caughtUpMs} ms`);
      kills.push({ what, node, committedAtKill: [...before.values()].reduce((a, b) => a + b, 0), firstProgressMs, caughtUpMs });
    };

    // Each kill with a part of the input committed and more in flight; before each after the first, the killed
    // node rejoins through the launcher (warm: its data directory is kept) and catches up, so every kill leaves
    // two of three replicas everywhere (min.insync.replicas 2 keeps writing).
    const targets = [
      { what: `leader of ${input}[0]`, node: () => leaderOf(admin, input, 0) },
      { what: `leader of ${output}[0]`, node: () => leaderOf(admin, output, 0) },
      // __transaction_state has one partition here (infra/kafka/cluster.properties): its leader coordinates every
      // transactional id, so its death fails the AddOffsetsToTxn and EndTxn requests in flight.
      { what: 'the transaction coordinator', node: () => leaderOf(admin, '__transaction_state', 0) },
    ];
    const restarts: Array<{ restartMs: number; rejoinMs: number }> = [];
    for (const [k, target] of targets.entries()) {
      if (k > 0) {
        note('restarting the killed node');
        const restartMs = await cluster.up();
        restarts.push({ restartMs, rejoinMs: await waitFullyReplicated(admin, [input, output, ...INTERNAL_TOPICS], 3) });
        for (const topic of INTERNAL_TOPICS) for (const p of (await admin.partitionLeaders(topic)).values()) expect(p.replicas).toHaveLength(3);
      }
      await produceUpTo(POINTS[k]! + SLACK);
      await progress.until((c) => [...c.values()].reduce((a, b) => a + b, 0) >= POINTS[k]!);
      await killAndMeasure(target.what, await target.node(), k + 1 < POINTS.length ? POINTS[k + 1]! + SLACK : TOTAL);
    }

    note('all input produced');
    // The same process did all of it: nobody restarted it.
    expect(child.exitCode).toBeNull();
    await progress.until((c) => [...c.values()].reduce((a, b) => a + b, 0) >= TOTAL);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });

    // Everything is committed and the service is gone: the output read to its end offsets, read_committed,
    // is final (an exact read, not a quiet period: a duplicate cannot hide after the last record looked for).
    // Read twice: through the port (kafkajs) and by Confluent's own client (librdkafka), the reference for
    // what a read_committed consumer sees; the guarantee is judged on the reference, the port's read is
    // reported beside it (kafkajs filters aborted transactions itself).
    const { records } = await readToEnd(kafka, [output], { deadlineMs: 60_000 });
    const registry = registryClient();
    const events = await Promise.all(records.map(async (m) => (await registry.decode(m.value!)) as { eventId: string; meterWh: number }));
    const independent = pythonReader()
      .run([cluster.brokers.join(','), endpoints().schemaRegistryUrl, output, String(TOTAL)])
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { record: { eventId: string; meterWh: number } }).record);
    const expected: string[] = [];
    for (const [partition, end] of await progress.ends()) for (let o = 0; o < end; o++) expected.push(`${input}:${partition}:${o}`);
    const tally = (ids: readonly string[]) => {
      const distinct = new Set(ids);
      return { lost: expected.filter((id) => !distinct.has(id)), duplicated: ids.filter((id, i) => ids.indexOf(id) !== i) };
    };
    const ids = independent.map((e) => e.eventId);
    const reference = tally(ids);
    const viaPort = tally(events.map((e) => e.eventId));
    const [lost, duplicated] = [reference.lost.length, reference.duplicated.length];
    note(`read through the port (kafkajs): ${events.length} records, lost ${viaPort.lost.length}, duplicated ${viaPort.duplicated.length}`);

    const serviceLog = child.output.join('');
    const guards = { skipped: serviceLog.split('the committed records are skipped').length - 1, settled: serviceLog.split('commit of unknown outcome settled').length - 1 };
    note(`stream guards that fired: batches starting before this process's last commit ${guards.skipped}, commits of unknown outcome settled ${guards.settled}`);
    for (const [reader, t] of [['reference', reference], ['port', viaPort]] as const) {
      if (t.lost.length === 0 && t.duplicated.length === 0) continue;
      // Which inputs, and what the service logged, for the one who reads the failure.
      const log = join(tmpdir(), `leader-kill-${process.pid}.log`);
      writeFileSync(log, serviceLog);
      note(`${reader} reader: duplicated inputs ${t.duplicated.slice(0, 40).join(' ')}; missing ${t.lost.slice(0, 40).join(' ')}; service log ${log}`);
    }

    process.stderr.write(
      `\n[leader-kill] cluster cold start ${coldStartMs} ms; events ${TOTAL}; outputs ${ids.length}; lost ${lost}; duplicated ${duplicated}\n` +
        kills
          .map((k) => `[leader-kill] kill -9 node ${k.node} (${k.what}) at ${k.committedAtKill} committed: first progress after ${k.firstProgressMs} ms, caught up after ${k.caughtUpMs} ms\n`)
          .join('') +
        restarts.map((r) => `[leader-kill] killed node restarted by the launcher in ${r.restartMs} ms, every partition back to 3 in-sync replicas ${r.rejoinMs} ms later\n`).join(''),
    );
    expect(kills).toHaveLength(3);
    for (const k of kills) {
      expect(k.committedAtKill).toBeGreaterThanOrEqual(TOTAL * 0.2);
      expect(k.committedAtKill).toBeLessThan(TOTAL);
    }
    // One output per input offset (eventId is topic:partition:offset), none missing, none twice…
    expect(expected).toHaveLength(TOTAL);
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect([...ids].sort()).toEqual(expected.sort());
    // …and each from the input it names (meterStart was the input's index).
    expect(independent.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
  });
});
