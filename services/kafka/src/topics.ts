import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import type { Component } from '@ampseal/foundation';
import { adminOf, type KafkaClient } from './client';

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
 * Topic administration: list, create, delete, end offsets, a group's committed offsets. One admin connection,
 * opened on first use; `stop()` closes it.
 */
export class TopicAdmin implements Component {
  readonly name = 'topic-admin';
  private admin: Promise<Admin> | undefined;

  constructor(private readonly kafka: KafkaClient) {}

  async start(): Promise<void> {
    await this.connected();
  }

  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = adminOf(this.kafka);
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => {
        this.admin = undefined;
      });
    }
    return this.admin;
  }

  async list(): Promise<string[]> {
    return (await this.connected()).listTopics();
  }

  /** Creates the topics that do not exist yet (idempotent); returns the names it created. */
  async ensure(specs: readonly TopicSpec[], replication: TopicReplication = BROKER_DEFAULT_REPLICATION): Promise<string[]> {
    const admin = await this.connected();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          ...(s.replicas
            ? { replicaAssignment: s.replicas.map((replicas, partition) => ({ partition, replicas: [...replicas] })) }
            : { numPartitions: s.partitions, replicationFactor: replication.factor }),
          configEntries: Object.entries(withMinInsync(s.config, replication)).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((s) => s.topic);
  }

  /** Deletes the listed topics that exist. */
  async delete(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connected();
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone, timeout: 30_000 });
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
   * Per partition: the first offset and the end a read_committed consumer can reach now, the last stable offset
   * (kafkajs' admin asks READ_COMMITTED): the high watermark when no transaction is open, the first offset of the
   * oldest open transaction otherwise. An exact read needs the high watermark: highWatermarks (high-watermark.ts).
   */
  async offsets(topic: string): Promise<Map<number, { readonly low: bigint; readonly high: bigint }>> {
    const offsets = await (await this.connected()).fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  }

  /** Per partition of `topic`, from a fresh metadata request: its leader, replicas and in-sync replicas. */
  async partitionLeaders(topic: string): Promise<Map<number, PartitionReplicas>> {
    const { topics } = await (await this.connected()).fetchTopicMetadata({ topics: [topic] });
    const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
    return new Map(partitions.map((p) => [p.partitionId, { leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }]));
  }

  /** The topic's configuration values for `names` (as the broker resolves them: its own, else the broker's). */
  async topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string>> {
    const { resources } = await (await this.connected()).describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...names] }],
    });
    return new Map((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
  }

  /** A consumer group's committed offsets per partition of each topic (partitions without a commit are left out). */
  async committed(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    const offsets = await (await this.connected()).fetchOffsets({ groupId, topics: [...topics] });
    const out = new Map<string, Map<number, bigint>>();
    for (const t of offsets) {
      const partitions = new Map<number, bigint>();
      for (const p of t.partitions) if (Number(p.offset) >= 0) partitions.set(p.partition, BigInt(p.offset));
      out.set(t.topic, partitions);
    }
    return out;
  }
}

function withMinInsync(config: Record<string, string> | undefined, replication: TopicReplication): Record<string, string> {
  if (replication.minInsyncReplicas === undefined) return { ...config };
  return { 'min.insync.replicas': String(replication.minInsyncReplicas), ...config };
}

/** One-shot `TopicAdmin.ensure` for start-up code. */
export async function ensureTopics(kafka: KafkaClient, specs: readonly TopicSpec[], replication: TopicReplication = BROKER_DEFAULT_REPLICATION): Promise<string[]> {
  const admin = new TopicAdmin(kafka);
  try {
    return await admin.ensure(specs, replication);
  } finally {
    await admin.stop();
  }
}
