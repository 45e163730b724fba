import type { Admin } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import type { Component } from '@ampseal/foundation';
import { adminOf, type KafkaClient } from './client';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly config?: Record<string, string>;
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

  /** Creates the topics that do not exist yet (idempotent); returns the names it created. -1: the broker's replication default. */
  async ensure(specs: readonly TopicSpec[], replicationFactor = -1): Promise<string[]> {
    const admin = await this.connected();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
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

  /** Per partition: the first offset and the end offset (the high watermark). */
  async offsets(topic: string): Promise<Map<number, { readonly low: bigint; readonly high: bigint }>> {
    const offsets = await (await this.connected()).fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
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

/** One-shot `TopicAdmin.ensure` for start-up code. */
export async function ensureTopics(kafka: KafkaClient, specs: readonly TopicSpec[], replicationFactor = -1): Promise<string[]> {
  const admin = new TopicAdmin(kafka);
  try {
    return await admin.ensure(specs, replicationFactor);
  } finally {
    await admin.stop();
  }
}
