import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchContext } from './context';
import { brokerCpuSpan, cpuSpan } from './cpu';
import type { Dataset } from './dataset';
import { FingerprintBuilder, sameFingerprint, type Fingerprint } from './fingerprint';
import { CommitProbe, createTopics, readTopics } from './kafka-io';
import { captureStderr, exited, failOnExit, memoryOf } from './processes';
import { pinnedVersion } from './stack';
import { type Workload, spanFigures } from './throughput';

/**
 * The Java peer (issue 14): a transactional copy loop on Apache Kafka's own client, of the broker's version
 * (services/bench/java-peer, built with Maven like the broker's jars). What a Java shop would measure ampseal
 * against: poll (read_committed, max.poll.records = the pipeline's chunk) → send each record → send the offsets
 * to the transaction → commit, client defaults otherwise. Measured like the passthrough and the pipeline: a fresh
 * process, group and output topic per repetition; events/s = input records / (ready → the group's committed
 * offsets cover every input); CPU per 1,000 events from /proc over the same span (cpu.ts).
 */

export interface JavaPeerBuild {
  readonly java: string;
  readonly jar: string;
  /** kafka-clients version the jar was built against (infra/versions.env KAFKA_VERSION). */
  readonly kafkaVersion: string;
  readonly buildSeconds: number;
}

export type JavaPeerAvailability = { readonly ok: true; readonly build: JavaPeerBuild } | { readonly ok: false; readonly reason: string };

export interface JavaPeerRun {
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly cpu_ms_per_1k_events: number;
  /** The local broker's CPU over the same span (null for a remote broker). */
  readonly broker_cpu_ms_per_1k_events: number | null;
  /** The peer's own clock: first polled record to the last commit. */
  readonly first_record_to_last_commit_events_per_s: number;
  readonly transactions: number;
  readonly aborted_transactions: number;
  readonly peak_rss_mb: number;
  readonly max_heap_mb: number;
  readonly kafka_clients: string;
  readonly java: string;
  /** Read back read_committed: as many records as inputs, and the same keys and values (fingerprint.ts). */
  readonly outputs_verified: boolean | undefined;
  readonly output_records: number | undefined;
}

/** The peer's lines on stdout (CopyLoop.java). */
interface PeerLine {
  readonly event: 'ready' | 'done' | 'stopped';
  readonly records?: number;
  readonly transactions?: number;
  readonly aborted_transactions?: number;
  readonly first_record_to_last_commit_ms?: number;
  readonly kafka_clients?: string;
  readonly java?: string;
  readonly max_heap_mb?: number;
}

/** The JVM's logging: kafka-clients' warnings and errors on stderr (captured for the error message), no more. */
const JVM_ARGS = ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'];

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `mvn -q -B package` of services/bench/java-peer against the broker's kafka-clients, once per run. Missing
 * `java` or `mvn`, or a build that fails (no network and an empty ~/.m2), skip the peer with the reason: its
 * figures are then null in the results, never a stand-in.
 */
export function buildJavaPeer(root: string): JavaPeerAvailability {
  const java = onPath('java');
  const mvn = onPath('mvn');
  if (!java || !mvn) return { ok: false, reason: `no ${[!java && 'java', !mvn && 'mvn'].filter(Boolean).join(' and ')} on PATH` };
  const kafkaVersion = pinnedVersion(root, 'KAFKA_VERSION');
  const dir = path.join(root, 'services', 'bench', 'java-peer');
  const started = performance.now();
  const result = spawnSync(mvn, ['-q', '-B', '-Dstyle.color=never', '-f', path.join(dir, 'pom.xml'), `-Dkafka.version=${kafkaVersion}`, 'package'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 600_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    // eslint-disable-next-line no-control-regex -- Maven 3.8 colours even -B -q output; the reason is plain text
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n').slice(-15).join('\n');
    return { ok: false, reason: `mvn package failed (${result.status ?? result.signal ?? result.error?.message}):\n${output}` };
  }
  return { ok: true, build: { java, jar: path.join(dir, 'target', 'ampseal-java-peer.jar'), kafkaVersion, buildSeconds: (performance.now() - started) / 1000 } };
}

/** What the peer's output is checked against: the first `count` input records, as the loader wrote them. */
export function inputFingerprint(data: Pick<Dataset, 'keys' | 'values'>, count: number): Fingerprint {
  const f = new FingerprintBuilder();
  for (let i = 0; i < count; i++) f.add(Buffer.from(data.keys[i]!, 'utf8'), data.values[i]!);
  return f.result();
}

export async function runJavaPeer(ctx: BenchContext, build: JavaPeerBuild, work: Workload, expected?: Fingerprint): Promise<JavaPeerRun> {
  const id = `${ctx.runId}-${work.label}`;
  const output = `${id}.javapeer.out.v1`;
  const groupId = `${id}-group`;
  ctx.created.topics.push(output);
  // The same partitions as the passthrough's output (it creates its own with ctx.partitions).
  await createTopics(ctx.kafka, [output], ctx.partitions);
  const args = [
    ...JVM_ARGS,
    '-jar',
    build.jar,
    '--bootstrap-servers',
    ctx.brokers.join(','),
    '--group',
    groupId,
    '--inputs',
    `${work.raw.ocpp},${work.raw.ocpi}`,
    '--output',
    output,
    '--transactional-id',
    `${groupId}-tx`,
    '--max-poll-records',
    String(ctx.maxRecordsPerTransaction),
    '--expected',
    String(work.count),
  ];
  const child = spawn(build.java, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
  // A write after the peer died must not crash the bench (EPIPE on its stdin): the exit is reported anyway.
  child.stdin!.on('error', () => undefined);
  const stderr = captureStderr(child);
  const death = failOnExit(child, `Java peer ${work.label}`, stderr.tail);
  const lines = createInterface({ input: child.stdout! });
  const waiting = new Map<PeerLine['event'], (line: PeerLine) => void>();
  const seen = new Map<PeerLine['event'], PeerLine>();
  lines.on('line', (text) => {
    let line: PeerLine;
    try {
      line = JSON.parse(text) as PeerLine;
    } catch {
      return; // not one of ours (the JVM may print a warning on stdout)
    }
    seen.set(line.event, line);
    waiting.get(line.event)?.(line);
  });
  const next = (event: PeerLine['event']) =>
    new Promise<PeerLine>((resolve) => {
      const have = seen.get(event);
      if (have) resolve(have);
      else waiting.set(event, resolve);
    });
  const probe = await CommitProbe.open(ctx.kafka);
  try {
    const notReady = deadline(120_000, `Java peer ${work.label} not ready`);
    try {
      await Promise.race([next('ready'), death.promise, notReady.promise]);
    } finally {
      notReady.cancel();
    }
    const t0 = performance.now();
    const cpu = cpuSpan(child.pid!);
    const broker = brokerCpuSpan(ctx.brokerPid);
    const t1 = await Promise.race([probe.waitFor(groupId, work.raw, work.count, { timeoutMs: 600_000 }), death.promise]);
    const cpuMs = cpu.ms();
    const brokerCpu = broker.perThousand(work.count);
    const done = await Promise.race([next('done'), death.promise]);
    const memory = memoryOf(child.pid!);
    death.cancel();
    child.stdin!.end('stop\n');
    const code = await exited(child, 30_000);
    if (code !== 0) ctx.log(`  Java peer ${work.label} exited with ${code}:\n${stderr.tail()}`);
    let verified: boolean | undefined;
    let outputRecords: number | undefined;
    if (work.verify && expected) {
      const seenOut = new FingerprintBuilder();
      outputRecords = await readTopics(ctx.kafka, [output], (_t, _p, m) => seenOut.add(m.key, m.value));
      verified = outputRecords === work.count && sameFingerprint(seenOut.result(), expected);
    }
    return {
      ...spanFigures(work, t0, t1, cpuMs, brokerCpu),
      first_record_to_last_commit_events_per_s: ((done.records ?? 0) * 1000) / (done.first_record_to_last_commit_ms ?? Number.NaN),
      transactions: done.transactions ?? 0,
      aborted_transactions: done.aborted_transactions ?? 0,
      peak_rss_mb: memory.peakRssMb,
      max_heap_mb: done.max_heap_mb ?? Number.NaN,
      kafka_clients: done.kafka_clients ?? 'unknown',
      java: done.java ?? 'unknown',
      outputs_verified: verified,
      output_records: outputRecords,
    };
  } finally {
    death.cancel();
    lines.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await probe.close();
  }
}

function deadline(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${ms / 1000} s`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}
