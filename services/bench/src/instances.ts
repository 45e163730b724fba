import type { BenchContext } from './context';
import { CommitProbe } from './kafka-io';
import { failOnExit, memoryOf } from './processes';
import { perThousand } from './prometheus';
import { median, round } from './stats';
import { type PipelineProcess, type PipelineRun, type Verification, type Workload, startPipeline, verifyPipeline } from './throughput';

/**
 * `--instances N`: N pipeline processes in one consumer group over the same raw topics, for the capacity model's
 * scaling figure (docs/capacity.md). Each repetition runs it right after the single-instance pipeline, on the same
 * topics, so the two events/s come from one run.
 *
 * The clock: the N processes start together; a process is ready once it is in the group with its partitions, so
 * when the last one is ready the group has its final assignment. events/s counts the records not yet committed then,
 * over the time until the group's committed offsets cover every input. `events_per_s_from_first_ready` is the
 * conservative figure: all records, from the first process ready (it includes the later joins and their rebalance).
 */

export interface InstancesRun {
  readonly label: string;
  readonly instances: number;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly events_per_s_from_first_ready: number;
  /** Records already committed when the last instance was ready (consumed by the earlier ones alone). */
  readonly committed_before_all_ready: number;
  readonly start_to_all_ready_s: number;
  readonly kms_calls: number;
  readonly redis_roundtrips: number;
  /** CPU of all instances over their whole lives, per 1,000 input records. */
  readonly cpu_ms_per_1k_events: number;
  readonly peak_rss_mb: number;
  readonly transaction_retries: number;
  readonly verification: Verification | undefined;
}

export async function runPipelineInstances(ctx: BenchContext, work: Workload, instances: number): Promise<InstancesRun> {
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: instances }, (_, m) => startPipeline(ctx, work.label, work.raw, { member: m })));
  const members = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const probe = await CommitProbe.open(ctx.kafka);
  const deaths = members.map((p, m) => failOnExit(p.child, `pipeline ${work.label} instance ${m}`, p.tail));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const firstReady = Math.min(...members.map((p) => p.readyAt));
    const t0 = Math.max(...members.map((p) => p.readyAt));
    const groupId = members[0]!.groupId;
    const before = await probe.committed(groupId, work.raw);
    const died = Promise.race(deaths.map((d) => d.promise));
    const t1 = await Promise.race([probe.waitFor(groupId, work.raw, work.count, { timeoutMs: 900_000 }), died]);
    const counters = await Promise.all(members.map((p) => p.metrics()));
    const memory = members.map((p) => memoryOf(p.child.pid!));
    for (const d of deaths) d.cancel();
    const codes = await Promise.all(members.map((p) => p.stop()));
    codes.forEach((code, m) => {
      if (code !== 0) ctx.log(`  pipeline ${work.label} instance ${m} exited with ${code}:\n${members[m]!.tail()}`);
    });
    const verification = work.verify ? await verifyPipeline(ctx, members[0]!.outputs, work.count) : undefined;
    const sum = (f: (c: (typeof counters)[number]) => number) => counters.reduce((total, c) => total + f(c), 0);
    const seconds = (t1 - t0) / 1000;
    return {
      label: work.label,
      instances,
      events: work.count,
      seconds,
      events_per_s: (work.count - before) / seconds,
      events_per_s_from_first_ready: (work.count * 1000) / (t1 - firstReady),
      committed_before_all_ready: before,
      start_to_all_ready_s: (t0 - started) / 1000,
      kms_calls: sum((c) => c.kmsCalls),
      redis_roundtrips: sum((c) => c.redisRoundTrips),
      cpu_ms_per_1k_events: perThousand(sum((c) => c.cpuSeconds) * 1000, work.count),
      peak_rss_mb: Math.max(...memory.map((m) => m.peakRssMb)),
      transaction_retries: members.reduce((total, p) => total + p.transactionRetries(), 0),
      verification,
    };
  } finally {
    for (const d of deaths) d.cancel();
    for (const p of members) killIfRunning(p);
    await probe.close();
  }
}

function killIfRunning(p: PipelineProcess): void {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

export interface Scaling {
  readonly instances: number;
  readonly raw_partitions: number;
  readonly pipeline_1_events_per_s: number;
  readonly pipeline_n_events_per_s: number;
  readonly pipeline_n_events_per_s_from_first_ready: number;
  /** Median of the per-repetition ratios (N instances / 1 instance, run back to back). */
  readonly speedup: number;
  readonly speedup_per_repetition: readonly number[];
  readonly cpu_ms_per_1k_events_1: number;
  readonly cpu_ms_per_1k_events_n: number;
  readonly exactly_once: boolean;
}

/** The scaling figures of a run: medians of the repetitions, each N-instance run against the 1-instance run before it. Pure. */
export function scaling(instances: number, rawPartitions: number, single: readonly PipelineRun[], group: readonly InstancesRun[]): Scaling {
  const ratios = group.map((g, i) => g.events_per_s / single[i]!.events_per_s);
  return {
    instances,
    raw_partitions: rawPartitions,
    pipeline_1_events_per_s: round(median(single.map((r) => r.events_per_s)), 0),
    pipeline_n_events_per_s: round(median(group.map((r) => r.events_per_s)), 0),
    pipeline_n_events_per_s_from_first_ready: round(median(group.map((r) => r.events_per_s_from_first_ready)), 0),
    speedup: round(median(ratios), 3),
    speedup_per_repetition: ratios.map((r) => round(r, 3)),
    cpu_ms_per_1k_events_1: round(median(single.map((r) => r.cpu_ms_per_1k_events)), 1),
    cpu_ms_per_1k_events_n: round(median(group.map((r) => r.cpu_ms_per_1k_events)), 1),
    exactly_once: group.length > 0 && group.every((r) => r.verification?.exactlyOnce === true),
  };
}

/** One log line per N-instance repetition. */
export function describeInstancesRun(r: InstancesRun, fmt: (n: number) => string): string {
  const v = r.verification;
  return (
    `  pipeline ×${r.instances}  ${r.label}: ${fmt(r.events_per_s)} events/s once all ready (${fmt(r.events_per_s_from_first_ready)}/s from the first ready; ` +
    `${fmt(r.committed_before_all_ready)} committed before), CPU ${r.cpu_ms_per_1k_events.toFixed(0)} ms/1k, peak RSS ${r.peak_rss_mb.toFixed(0)} MB, ` +
    `exactly once ${v === undefined ? 'not checked' : v.exactlyOnce ? 'yes' : `NO ${JSON.stringify(v)}`}`
  );
}
