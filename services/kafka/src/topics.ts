import { AmpsealError } from '@ampseal/core';
import type { Component } from '@ampseal/foundation';
import type { AdminPort, KafkaPort, PartitionOffsets } from './port';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly config?: Record<string, string>;
  /**
   * Where each partition lives, by node id, the first its preferred leader (one entry per partition); the
   * replication factor is then the entries' length. Without it the broker places them.
   */
  readonly replicas?: ReadonlyArray<readonly number[]>;
}

/**
 * How the topics a service creates are replicated. `factor` -1: the broker's default (and its min ISR).
 * `minInsyncReplicas`: the topic's `min.insync.replicas` (how many replicas an acks=all write, every
 * transactional one, needs), unless the spec's own config sets it.
 */
export interface TopicReplication {
  readonly factor: number;
  readonly minInsyncReplicas?: number;
}

export const BROKER_DEFAULT_REPLICATION: TopicReplication = Object.freeze({ factor: -1 });

/** Where a partition lives: its leader's node id (-1 while it has none), its replicas and in-sync replicas. */
export interface PartitionReplicas {
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/**
 * Topic administration on whichever client the connection runs: list, create, delete, offsets, a group's committed
 * offsets. The adapter's admin connection (AdminPort) is opened on first use; `stop()` closes it. What is decided
 * here, once for both adapters: which topics are missing, the min ISR a created topic gets, waiting for a topic.
 */
export class TopicAdmin implements Component {
  readonly name = 'topic-admin';
  private port: AdminPort | undefined;

  constructor(private readonly kafka: KafkaPort) {}

  private get admin(): AdminPort {
    return (this.port ??= this.kafka.admin());
  }

  async start(): Promise<void> {
    await this.admin.listTopics();
  }

  async stop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    await port?.close();
  }

  async list(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /** Creates the topics that do not exist yet (idempotent); returns the names it created. */
  async ensure(specs: readonly TopicSpec[], replication: TopicReplication = BROKER_DEFAULT_REPLICATION): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) await this.admin.createTopics(missing.map((s) => ({ ...s, config: withMinInsync(s.config, replication) })), replication);
    return missing.map((s) => s.topic);
  }

  /** Deletes the listed topics that exist. */
  async delete(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const existing = new Set(await this.admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await this.admin.deleteTopics(gone);
  }

  /** Waits until every topic exists (one created by another process on first use), polling the broker's list. */
  async waitFor(topics: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listed = new Set(await this.list());
      const missing = topics.filter((t) => !listed.has(t));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new AmpsealError('BROKER_UNAVAILABLE', `${missing.length} topic(s) did not appear within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Per partition: the first offset and the end a read_committed consumer can reach now, the last stable offset:
   * the high watermark when no transaction is open, the first offset of the oldest open transaction otherwise. An
   * exact read needs the high watermark: `highWatermarks`.
   */
  offsets(topic: string): Promise<Map<number, PartitionOffsets>> {
    return this.admin.stableOffsets(topic);
  }

  /** Per topic and partition: the log start offset and the high watermark (every offset written so far). */
  highWatermarks(topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>> {
    return this.admin.highWatermarks(topics);
  }

  /** Per partition of `topic`, from a fresh metadata request: its leader, replicas and in-sync replicas. */
  partitionLeaders(topic: string): Promise<Map<number, PartitionReplicas>> {
    return this.admin.partitionLeaders(topic);
  }

  /** The topic's configuration values for `names` (as the broker resolves them: its own, else the broker's). */
  topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string>> {
    return this.admin.topicConfig(topic, names);
  }

  /** A consumer group's committed offsets per partition of each topic (partitions without a commit are left out). */
  committed(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    return this.admin.committed(groupId, topics);
  }
}

function withMinInsync(config: Record<string, string> | undefined, replication: TopicReplication): Record<string, string> {
  if (replication.minInsyncReplicas === undefined) return { ...config };
  return { 'min.insync.replicas': String(replication.minInsyncReplicas), ...config };
}

/** One-shot `TopicAdmin.ensure` for start-up code. */
export async function ensureTopics(kafka: KafkaPort, specs: readonly TopicSpec[], replication: TopicReplication = BROKER_DEFAULT_REPLICATION): Promise<string[]> {
  const admin = new TopicAdmin(kafka);
  try {
    return await admin.ensure(specs, replication);
  } finally {
    await admin.stop();
  }
}
