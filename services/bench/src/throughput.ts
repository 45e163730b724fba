import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { roamingTopic } from '@ampseal/core';
import { decodeWire } from '@ampseal/kafka';
import { analyticsType } from '@ampseal/schemas/codec';
import { type BenchContext, resolveEventId } from './context';
import { brokerCpuSpan, cpuSpan } from './cpu';
import { ANALYTICS, QUARANTINE, ROAMING, type Dataset, type RawTopics } from './dataset';
import { CommitProbe, existingTopics, readTopics } from './kafka-io';
import type { PassthroughConfig, PassthroughMessage } from './passthrough';
import { captureStderr, exited, failOnExit, freePort, memoryOf } from './processes';
import { type MemoryBreakdown, type PipelineCounters, perThousand, pipelineCounters } from './prometheus';

/**
 * The two throughput phases through the broker, measured the same way so their ratio is fair: a fresh child
 * process, a fresh consumer group and fresh output topics per repetition; the clock starts when the child is
 * in its group and ready, and stops when the group's committed offsets cover every input record (offsets commit
 * in the same transactions as the outputs, so that is also when the last output became visible).
 */

export interface Workload {
  readonly label: string;
  readonly raw: RawTopics;
  /** Records [0, count) of the dataset are on `raw`. */
  readonly count: number;
  /** Check the outputs record by record (measured repetitions; warm-ups skip it). */
  readonly verify: boolean;
}

export interface PassthroughRun {
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  /** The child's own clock: first handler call to the commit of the last record (the definition). */
  readonly first_consume_to_last_commit_events_per_s: number;
  readonly transactions: number;
  /** CPU of the child from ready to the last commit (cpu.ts: one definition for every process). */
  readonly cpu_ms_per_1k_events: number;
  /** The local broker's CPU over the same span (null for a remote broker): what this client costs the broker. */
  readonly broker_cpu_ms_per_1k_events: number | null;
  readonly peak_rss_mb: number;
  readonly transaction_retries: number;
  readonly outputs_verified: boolean | undefined;
}

export interface Verification {
  readonly exactlyOnce: boolean;
  readonly analytics: { readonly expected: number; readonly seen: number; readonly duplicates: number; readonly missing: number; readonly unexpected: number };
  readonly roaming: { readonly expected: number; readonly seen: number };
  readonly quarantine: { readonly expected: number; readonly malformed: number; readonly seen: number; readonly duplicates: number; readonly wrongReason: number; readonly unexpected: number };
}

export interface PipelineRun {
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly start_to_ready_s: number;
  readonly kms_calls: number;
  readonly redis_roundtrips: number;
  readonly kms_calls_per_1k_events: number;
  readonly redis_roundtrips_per_1k_events: number;
  /** CPU of the process from ready to the last commit (cpu.ts: one definition for every process). */
  readonly cpu_ms_per_1k_events: number;
  /** The local broker's CPU over the same span (null for a remote broker): what this client costs the broker. */
  readonly broker_cpu_ms_per_1k_events: number | null;
  readonly peak_rss_mb: number;
  readonly rss_at_end_mb: number;
  /** The process's memory at the end of the run, by where it is (prometheus.ts MemoryBreakdown). */
  readonly memory_at_end: MemoryBreakdown;
  readonly transaction_retries: number;
  readonly verification: Verification | undefined;
}

function envBase(ctx: Pick<BenchContext, 'nodeOptions'>): NodeJS.ProcessEnv {
  // The child gets PATH and HOME, its NODE_OPTIONS and the AMPSEAL_* we set; nothing else of ours.
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...(ctx.nodeOptions ? { NODE_OPTIONS: ctx.nodeOptions } : {}) };
}

// ------------------------------------------------------------------------------------------- passthrough

/**
 * The figures every measured process reports alike (one definition): events/s over the span from ready to the
 * moment its group's committed offsets cover every input, and the process's and the broker's CPU over that span.
 */
export function spanFigures(
  work: Pick<Workload, 'label' | 'count'>,
  t0: number,
  t1: number,
  cpuMs: number,
  brokerCpu: number | null,
): { label: string; events: number; seconds: number; events_per_s: number; cpu_ms_per_1k_events: number; broker_cpu_ms_per_1k_events: number | null } {
  const seconds = (t1 - t0) / 1000;
  return {
    label: work.label,
    events: work.count,
    seconds,
    events_per_s: work.count / seconds,
    cpu_ms_per_1k_events: perThousand(cpuMs, work.count),
    broker_cpu_ms_per_1k_events: brokerCpu,
  };
}

export async function runPassthrough(ctx: BenchContext, work: Workload): Promise<PassthroughRun> {
  const id = `${ctx.runId}-${work.label}`;
  const output = `${id}.passthrough.out.v1`;
  ctx.created.topics.push(output);
  const config: PassthroughConfig = {
    brokers: ctx.brokers,
    groupId: `${id}-group`,
    inputs: [work.raw.ocpp, work.raw.ocpi],
    output,
    partitions: ctx.partitions,
    expected: work.count,
    maxRecordsPerTransaction: ctx.maxRecordsPerTransaction,
    client: ctx.stackEnv.AMPSEAL_KAFKA_CLIENT === 'platformatic' ? 'platformatic' : 'kafkajs',
  };
  const child = fork(path.join(__dirname, 'passthrough.js'), [JSON.stringify(config)], {
    env: envBase(ctx),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr = captureStderr(child);
  const death = failOnExit(child, `passthrough ${work.label}`, stderr.tail);
  const probe = await CommitProbe.open(ctx.kafka);
  try {
    const ready = await Promise.race([nextMessage(child, 'ready'), death.promise]);
    void ready;
    const t0 = performance.now();
    const cpu = cpuSpan(child.pid!);
    const broker = brokerCpuSpan(ctx.brokerPid);
    const doneMessage = nextMessage(child, 'done');
    const t1 = await Promise.race([probe.waitFor(config.groupId, work.raw, work.count, { timeoutMs: 600_000 }), death.promise]);
    const cpuMs = cpu.ms();
    const brokerCpu = broker.perThousand(work.count);
    const done = (await Promise.race([doneMessage, death.promise])) as Extract<PassthroughMessage, { type: 'done' }>;
    const memory = memoryOf(child.pid!);
    death.cancel();
    child.send({ type: 'stop' });
    await exited(child, 30_000);
    let verified: boolean | undefined;
    if (work.verify) {
      let count = 0;
      let bytes = 0;
      await readTopics(ctx.kafka, [output], (_t, _p, m) => {
        count++;
        bytes += m.value?.length ?? 0;
      });
      verified = count === work.count && bytes === ctx.data.bytesBefore[work.count];
    }
    return {
      ...spanFigures(work, t0, t1, cpuMs, brokerCpu),
      first_consume_to_last_commit_events_per_s: (done.records * 1000) / done.firstConsumeToLastCommitMs,
      transactions: done.transactions,
      peak_rss_mb: memory.peakRssMb,
      transaction_retries: stderr.transactionRetries(),
      outputs_verified: verified,
    };
  } finally {
    death.cancel();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await probe.close();
  }
}

function nextMessage(child: ChildProcess, type: PassthroughMessage['type']): Promise<PassthroughMessage> {
  return new Promise((resolve) => {
    const on = (message: PassthroughMessage) => {
      if (message?.type !== type) return;
      child.off('message', on);
      resolve(message);
    };
    child.on('message', on);
  });
}

// ------------------------------------------------------------------------------------------- pipeline

export interface PipelineProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly groupId: string;
  /** `roaming`: the topic template; `roamingTopics`: one topic per recipient of the dataset. */
  readonly outputs: { readonly analytics: string; readonly roaming: string; readonly roamingTopics: readonly string[]; readonly quarantine: string };
  readonly startToReadyS: number;
  readonly readyAt: number;
  metrics(): Promise<PipelineCounters>;
  stop(): Promise<number | string>;
  tail(): string;
  transactionRetries(): number;
}

/**
 * `node services/cli/bin/ampseal.js run pseudonymizer` with an environment of its own: unique topics and group,
 * the local stack, a fixed free ops port. Resolves once /readyz says ready (key ring up, in the group).
 * Subject keys live in the shared local Redis under the fixed `ampseal:` prefix (not configurable), so each
 * repetition starts a new process: its in-process key cache is cold, while the keys in Redis already exist.
 */
/** What starting a pipeline needs of a run: the bench's context, or the fuzzer's and the soak's smaller one. */
export type PipelineHost = Pick<BenchContext, 'root' | 'stackEnv' | 'runId' | 'nodeOptions' | 'partitions' | 'maxRecordsPerTransaction' | 'profileDir' | 'created'> & {
  readonly data: Pick<Dataset, 'recipients'>;
};

function threaded(env: Readonly<Record<string, string>> | undefined): boolean {
  return Number(env?.AMPSEAL_HANDLER_THREADS ?? 0) > 0;
}

export async function startPipeline(
  ctx: PipelineHost,
  label: string,
  raw: RawTopics,
  options: {
    profile?: boolean;
    nodeArgs?: readonly string[];
    env?: Readonly<Record<string, string>>;
    /** 1, 2, …: another instance of `label`'s pipeline (same group and topics, its own instance id); instances.ts. */
    member?: number;
  } = {},
): Promise<PipelineProcess> {
  const id = `${ctx.runId}-${label}`;
  const port = await freePort();
  const outputs = {
    analytics: `${id}.charging.sessions.analytics.v1`,
    roaming: `${id}.ocpi.roaming.{recipient}.v1`,
    roamingTopics: [...ctx.data.recipients].map((r) => roamingTopic(`${id}.ocpi.roaming.{recipient}.v1`, r)),
    quarantine: `${id}.ampseal.quarantine.v1`,
  };
  const erasureEvents = `${id}.privacy.erasure.events.v1`;
  if (!options.member) {
    ctx.created.topics.push(outputs.analytics, ...outputs.roamingTopics, outputs.quarantine, erasureEvents);
    ctx.created.subjects.push(`${outputs.analytics}-value`);
  }
  const groupId = `${id}-pseudonymizer`;
  const env: NodeJS.ProcessEnv = {
    ...envBase(ctx),
    ...ctx.stackEnv,
    AMPSEAL_TOPIC_OCPP_RAW: raw.ocpp,
    AMPSEAL_TOPIC_OCPI_RAW: raw.ocpi,
    AMPSEAL_TOPIC_ANALYTICS: outputs.analytics,
    AMPSEAL_TOPIC_ROAMING: outputs.roaming,
    AMPSEAL_TOPIC_QUARANTINE: outputs.quarantine,
    AMPSEAL_TOPIC_ERASURE_REQUESTS: `${id}.privacy.erasure.requests.v1`,
    AMPSEAL_TOPIC_ERASURE_EVENTS: erasureEvents,
    AMPSEAL_TOPIC_TOMBSTONES: `${id}.ampseal.tombstones.v1`,
    AMPSEAL_GROUP_ID: groupId,
    AMPSEAL_INSTANCE_ID: options.member ? `${id}-${options.member}` : id,
    AMPSEAL_HTTP_HOST: '127.0.0.1',
    AMPSEAL_HTTP_PORT: String(port),
    AMPSEAL_CREATE_TOPICS: 'true',
    AMPSEAL_TOPIC_PARTITIONS: String(ctx.partitions),
    AMPSEAL_LOG_LEVEL: 'warn',
    AMPSEAL_MAX_RECORDS_PER_TRANSACTION: String(ctx.maxRecordsPerTransaction),
    ...options.env,
  };
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
    // With handler threads every thread writes its own profile: Node's default names (CPU.<date>.<pid>.<thread>…) keep them apart.
    ...(options.profile && ctx.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, ...(threaded(options.env) ? [] : [`--cpu-prof-name=pipeline-${label}.cpuprofile`])]
      : []),
  ];
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ctx.root, 'services', 'cli', 'bin', 'ampseal.js'), 'run', 'pseudonymizer'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = captureStderr(child);
  const tail = stderr.tail;
  const death = failOnExit(child, `pipeline ${label}`, tail);
  const base = `http://127.0.0.1:${port}`;
  const waitReady = async (): Promise<number> => {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) return performance.now();
      if (performance.now() > deadline) throw new Error(`pipeline ${label} not ready after 120 s:\n${tail()}`);
      await sleep(20);
    }
  };
  let readyAt: number;
  try {
    readyAt = await Promise.race([waitReady(), death.promise]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    death.cancel();
  }
  return {
    child,
    port,
    groupId,
    outputs,
    readyAt,
    startToReadyS: (readyAt - started) / 1000,
    metrics: async () => pipelineCounters(await (await fetch(`${base}/metrics`)).text()),
    stop: async () => {
      child.kill('SIGTERM');
      return exited(child, 30_000);
    },
    tail,
    transactionRetries: stderr.transactionRetries,
  };
}

export async function runPipeline(ctx: BenchContext, work: Workload, options: { profile?: boolean; env?: Readonly<Record<string, string>> } = {}): Promise<PipelineRun> {
  const pipeline = await startPipeline(ctx, work.label, work.raw, options);
  const cpu = cpuSpan(pipeline.child.pid!);
  const broker = brokerCpuSpan(ctx.brokerPid);
  const probe = await CommitProbe.open(ctx.kafka);
  const death = failOnExit(pipeline.child, `pipeline ${work.label}`, pipeline.tail);
  try {
    const t0 = pipeline.readyAt;
    const t1 = await Promise.race([probe.waitFor(pipeline.groupId, work.raw, work.count, { timeoutMs: 900_000 }), death.promise]);
    const cpuMs = cpu.ms();
    const brokerCpu = broker.perThousand(work.count);
    // Counters since the process started: the key-set unwrap at first use counts against these events.
    const after = await pipeline.metrics();
    const memory = memoryOf(pipeline.child.pid!);
    death.cancel();
    const code = await pipeline.stop();
    if (code !== 0) ctx.log(`  pipeline ${work.label} exited with ${code}:\n${pipeline.tail()}`);
    const verification = work.verify ? await verifyPipeline(ctx, pipeline.outputs, work.count) : undefined;
    return {
      ...spanFigures(work, t0, t1, cpuMs, brokerCpu),
      start_to_ready_s: pipeline.startToReadyS,
      kms_calls: after.kmsCalls,
      redis_roundtrips: after.redisRoundTrips,
      kms_calls_per_1k_events: perThousand(after.kmsCalls, work.count),
      redis_roundtrips_per_1k_events: perThousand(after.redisRoundTrips, work.count),
      peak_rss_mb: memory.peakRssMb,
      rss_at_end_mb: memory.rssMb,
      memory_at_end: after.memory,
      transaction_retries: pipeline.transactionRetries(),
      verification,
    };
  } finally {
    death.cancel();
    if (pipeline.child.exitCode === null && pipeline.child.signalCode === null) pipeline.child.kill('SIGKILL');
    await probe.close();
  }
}

export function analyticsEventId(value: Buffer): string {
  return (decodeWire(analyticsType(), value).value as { eventId: string }).eventId;
}

/**
 * Exactly once, record by record: every input the oracle says yields an analytics record has exactly one
 * (by eventId), no other analytics record exists, the roaming count matches, and quarantine holds each
 * malformed record once, with the reason the generator expects.
 */
export async function verifyPipeline(ctx: BenchContext, outputs: PipelineProcess['outputs'], count: number): Promise<Verification> {
  const { data } = ctx;
  let expectedAnalytics = 0;
  let expectedRoaming = 0;
  let expectedQuarantine = 0;
  for (let i = 0; i < count; i++) {
    const o = data.outcome[i]!;
    if (o & ANALYTICS) expectedAnalytics++;
    if (o & ROAMING) expectedRoaming++;
    if (o & QUARANTINE) expectedQuarantine++;
  }
  let malformed = 0;
  for (const i of data.expectedReason.keys()) if (i < count) malformed++;

  const seen = new Uint8Array(count);
  const a = { expected: expectedAnalytics, seen: 0, duplicates: 0, missing: 0, unexpected: 0 };
  const r = { expected: expectedRoaming, seen: 0 };
  const q = { expected: expectedQuarantine, malformed, seen: 0, duplicates: 0, wrongReason: 0, unexpected: 0 };
  // A prefix of the data may not reach every recipient; a missing roaming record still fails the count check.
  const roamingTopics = await existingTopics(ctx.kafka, outputs.roamingTopics);
  await readTopics(
    ctx.kafka,
    [outputs.analytics, ...roamingTopics, outputs.quarantine],
    (topic, _p, m) => {
      if (roamingTopics.includes(topic)) {
        r.seen++;
        return;
      }
      if (topic === outputs.analytics) {
        a.seen++;
        const i = m.value ? resolveEventId(ctx, analyticsEventId(m.value)) : -1;
        if (i < 0 || i >= count || !(data.outcome[i]! & ANALYTICS)) a.unexpected++;
        else if (seen[i]! & ANALYTICS) a.duplicates++;
        else seen[i]! |= ANALYTICS;
        return;
      }
      q.seen++;
      const source = m.headers?.['ampseal.source']?.toString() ?? '';
      const reason = m.headers?.['ampseal.reason']?.toString() ?? '';
      const i = resolveEventId(ctx, source);
      if (i < 0 || i >= count || !(data.outcome[i]! & QUARANTINE)) q.unexpected++;
      else if (seen[i]! & QUARANTINE) q.duplicates++;
      else {
        seen[i]! |= QUARANTINE;
        const want = data.expectedReason.get(i);
        if (want !== undefined && want !== reason) q.wrongReason++;
      }
    },
  );
  for (let i = 0; i < count; i++) if (data.outcome[i]! & ANALYTICS && !(seen[i]! & ANALYTICS)) a.missing++;
  const exactlyOnce =
    a.seen === a.expected &&
    a.duplicates === 0 &&
    a.missing === 0 &&
    a.unexpected === 0 &&
    r.seen === r.expected &&
    q.seen === q.expected &&
    q.expected === q.malformed &&
    q.duplicates === 0 &&
    q.unexpected === 0 &&
    q.wrongReason === 0;
  return { exactlyOnce, analytics: a, roaming: r, quarantine: q };
}
