import type { KafkaClientName } from '@ampseal/kafka';
import type { InstancesRun } from './instances';
import type { JavaPeerRun } from './java-peer';
import { spread, type Spread } from './stats';
import type { PassthroughRun, PipelineRun } from './throughput';

/**
 * The passthrough and the pipeline on each adapter of the Kafka port, side by side in one run (issue 15): the
 * first client is the run's headline one (its figures are the results' top-level ones too), every other client
 * runs the same phases on the same data in the same repetition, right after it, so drift on the shared box hits
 * both alike and only ratios measured within one repetition are compared.
 */
export interface ClientRuns {
  readonly client: KafkaClientName;
  readonly passthrough: readonly PassthroughRun[];
  readonly pipeline: readonly PipelineRun[];
  /** Empty without --instances. */
  readonly instances: readonly InstancesRun[];
}

export interface ClientSummary {
  readonly passthrough_events_per_s: Spread | undefined;
  readonly pipeline_events_per_s: Spread | undefined;
  readonly pipeline_to_passthrough: Spread | undefined;
  readonly passthrough_cpu_ms_per_1k_events: Spread | undefined;
  readonly pipeline_cpu_ms_per_1k_events: Spread | undefined;
  readonly pipeline_peak_rss_mb: Spread | undefined;
  /** Per repetition against the Java peer of that repetition; undefined when the peer did not run. */
  readonly passthrough_to_java_peer: Spread | undefined;
  readonly pipeline_to_java_peer: Spread | undefined;
  /** Per repetition against the first client's run of that repetition (1 for the first client itself). */
  readonly passthrough_to_first_client: Spread | undefined;
  readonly pipeline_to_first_client: Spread | undefined;
  /** --instances: the group's events/s and its speed-up over this client's single pipeline of the same repetition. */
  readonly instances_events_per_s?: Spread;
  readonly instances_speedup?: Spread;
  /** Every pipeline repetition (and group run) verified exactly once, and every passthrough's outputs verified. */
  readonly verified: boolean;
}

/** Per repetition i: f(a[i], b[i]) where both ran (a peer or a client that failed part-way pairs only what it ran). */
function paired<A, B>(a: readonly A[], b: readonly (B | undefined)[], f: (x: A, y: B) => number): number[] {
  const out: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (y !== undefined) out.push(f(x, y));
  });
  return out;
}

export function summarizeClients(clients: readonly ClientRuns[], javaPeer: readonly JavaPeerRun[]): Record<string, ClientSummary> {
  const first = clients[0];
  const summaries: Record<string, ClientSummary> = {};
  for (const c of clients) {
    const perS = (r: { events_per_s: number }) => r.events_per_s;
    const ratio = (x: { events_per_s: number }, y: { events_per_s: number }) => x.events_per_s / y.events_per_s;
    summaries[c.client] = {
      passthrough_events_per_s: spread(c.passthrough.map(perS), 0),
      pipeline_events_per_s: spread(c.pipeline.map(perS), 0),
      pipeline_to_passthrough: spread(paired(c.pipeline, c.passthrough, ratio), 3),
      passthrough_cpu_ms_per_1k_events: spread(c.passthrough.map((r) => r.cpu_ms_per_1k_events), 1),
      pipeline_cpu_ms_per_1k_events: spread(c.pipeline.map((r) => r.cpu_ms_per_1k_events), 1),
      pipeline_peak_rss_mb: spread(c.pipeline.map((r) => r.peak_rss_mb), 0),
      passthrough_to_java_peer: spread(paired(c.passthrough, javaPeer, ratio), 3),
      pipeline_to_java_peer: spread(paired(c.pipeline, javaPeer, ratio), 3),
      passthrough_to_first_client: first ? spread(paired(c.passthrough, first.passthrough, ratio), 3) : undefined,
      pipeline_to_first_client: first ? spread(paired(c.pipeline, first.pipeline, ratio), 3) : undefined,
      ...(c.instances.length > 0
        ? { instances_events_per_s: spread(c.instances.map(perS), 0), instances_speedup: spread(paired(c.instances, c.pipeline, ratio), 3) }
        : {}),
      verified:
        c.pipeline.length > 0 &&
        c.pipeline.every((r) => r.verification?.exactlyOnce === true) &&
        c.instances.every((r) => r.verification?.exactlyOnce === true) &&
        c.passthrough.every((r) => r.outputs_verified !== false),
    };
  }
  return summaries;
}
