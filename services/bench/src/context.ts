import type { KafkaClient } from '@ampseal/kafka';
import type { Config } from '@ampseal/service-kit';
import type { Dataset, RawTopics } from './dataset';

/** What every phase of one run shares: the stack, the data, and the names it created (removed at the end). */
export interface BenchContext {
  readonly root: string;
  /** The local stack's endpoints as AMPSEAL_* variables (`infra/stack.sh up` prints them). */
  readonly stackEnv: Readonly<Record<string, string>>;
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly kafka: KafkaClient;
  /** Prefix of every topic and group of this run: `bench-<8 hex>`. */
  readonly runId: string;
  readonly data: Dataset;
  /** The raw topics holding the whole dataset. */
  readonly raw: RawTopics;
  readonly partitions: number;
  /** AMPSEAL_MAX_RECORDS_PER_TRANSACTION for the pipeline, and the same for the passthrough. */
  readonly maxRecordsPerTransaction: number;
  /** NODE_OPTIONS of the pipeline and passthrough children (the deployment's heap sizing by default). */
  readonly nodeOptions: string;
  /** The local broker's pid, to measure its CPU per phase (cpu.ts `brokerPidOf`); undefined for a remote one. */
  readonly brokerPid: number | undefined;
  /** bench/profiles when --profile, else undefined. */
  readonly profileDir: string | undefined;
  readonly log: (line: string) => void;
  readonly created: { readonly topics: string[]; readonly subjects: string[] };
  /** [topic][partition][offset] → dataset index, for checking eventIds. */
  readonly indexOf: readonly (readonly Int32Array[])[];
}

export function buildIndex(data: Dataset): Int32Array[][] {
  const index = [0, 1].map((t) => Array.from({ length: data.partitions }, (_, p) => new Int32Array(data.perPartition[t]![p]!)));
  for (let i = 0; i < data.size; i++) index[data.topic[i]!]![data.partition[i]!]![data.offset[i]!] = i;
  return index;
}

/** `topic:partition:offset` of the run's raw topics → dataset index, or -1. Topic names hold no colon. */
export function resolveEventId(ctx: Pick<BenchContext, 'raw' | 'indexOf'>, eventId: string, topics: { ocpp: string; ocpi: string } = ctx.raw): number {
  const b = eventId.lastIndexOf(':');
  const a = eventId.lastIndexOf(':', b - 1);
  if (a < 0) return -1;
  const topic = eventId.slice(0, a);
  const t = topic === topics.ocpp ? 0 : topic === topics.ocpi ? 1 : -1;
  if (t < 0) return -1;
  const lane = ctx.indexOf[t]![Number(eventId.slice(a + 1, b))];
  const offset = Number(eventId.slice(b + 1));
  if (lane === undefined || !(offset >= 0 && offset < lane.length)) return -1;
  return lane[offset]!;
}

/** What a run's context is made of besides what it derives (the stack's config and the dataset's index). */
export interface ContextParts {
  readonly root: string;
  readonly stackEnv: Readonly<Record<string, string>>;
  readonly config: Pick<Config, 'kafkaBrokers' | 'schemaRegistryUrl' | 'maxRecordsPerTransaction'>;
  readonly kafka: KafkaClient;
  readonly runId: string;
  readonly data: Dataset;
  readonly raw: RawTopics;
  readonly partitions: number;
  readonly nodeOptions: string;
  readonly brokerPid: number | undefined;
  readonly profileDir: string | undefined;
  readonly log: (line: string) => void;
}

/** The one way a bench command (the benchmark, `latency-modes`) builds its context. */
export function createBenchContext(parts: ContextParts): BenchContext {
  const { config, ...rest } = parts;
  return {
    ...rest,
    brokers: config.kafkaBrokers,
    registryUrl: config.schemaRegistryUrl,
    maxRecordsPerTransaction: config.maxRecordsPerTransaction,
    created: { topics: [], subjects: [] },
    indexOf: buildIndex(parts.data),
  };
}
