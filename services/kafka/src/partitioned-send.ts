import { Partitioners, type Message } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import type { TopicAdmin } from './topics';

/** A record to produce; `partition` when the caller chose one, else the default partitioner chooses by key. */
export interface RoutableRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** The records of one topic-partition, as kafkajs takes them: what one produce call may carry. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: Message[];
}

/**
 * Splits records into one batch per topic-partition, each record placed where kafkajs' own default partitioner
 * (murmur2 of the key, like the Java client; round robin without a key) would put it, or where the caller said.
 *
 * Why produce one partition per call: kafkajs 2.2 sends a multi-partition `sendBatch` as one request per leader
 * and, when one of them fails, retries with a map of the brokers that already answered, keyed by broker. A
 * partition whose leader moved (its old leader died) to one of those brokers is then left out of the retry, and
 * the call resolves as if it had been written: inside a transaction, its records are committed as missing while
 * the input offsets move past them. One partition per call means one leader per call, which that retry cannot skip.
 */
export function byPartition(records: readonly RoutableRecord[], partitionsOf: (topic: string) => number, partitioner = defaultPartitioner()): PartitionBatch[] {
  const batches = new Map<string, PartitionBatch>();
  for (const r of records) {
    const message: Message = { key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) };
    const partition = r.partition ?? partitioner(r.topic, partitionsOf(r.topic), message);
    const id = `${partition}:${r.topic}`;
    let batch = batches.get(id);
    if (!batch) batches.set(id, (batch = { topic: r.topic, partition, messages: [] }));
    batch.messages.push({ ...message, partition });
  }
  return [...batches.values()];
}

export type Partitioner = (topic: string, partitions: number, message: Message) => number;

/** kafkajs' default partitioner over `partitions` partitions (its round-robin counter for keyless records kept per instance). */
export function defaultPartitioner(): Partitioner {
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = new Map<number, Array<{ partitionId: number; leader: number }>>();
  return (topic, partitions, message) => {
    let all = metadata.get(partitions);
    // Every partition counts as available: which have a leader right now is the produce call's business (it
    // waits for one), not the placement's.
    if (!all) metadata.set(partitions, (all = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }))));
    return partitioner({ topic, partitionMetadata: all as never, message });
  };
}

/** How long a topic's partition count is trusted (kafkajs' own metadata age): partitions added later are used after that. */
const COUNT_TTL_MS = 300_000;

/** Metadata requests for one topic's partition count before giving up (about 10 s with the backoff). */
const COUNT_ATTEMPTS = 8;

/** Partition counts per topic, from the broker's metadata, cached for a while (a count only ever grows). */
export class PartitionCounts {
  private readonly counts = new Map<string, { readonly partitions: number; readonly at: number }>();
  private readonly partitioner = defaultPartitioner();

  constructor(
    private readonly admin: TopicAdmin,
    private readonly clock: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Resolves the counts of `topics` (asking the broker for the ones unknown or stale); then `of` answers for them. */
  async load(topics: Iterable<string>): Promise<void> {
    const now = this.clock();
    for (const topic of new Set(topics)) {
      const known = this.counts.get(topic);
      if (known && now - known.at < COUNT_TTL_MS) continue;
      this.counts.set(topic, { partitions: await this.count(topic), at: now });
    }
  }

  /**
   * A topic created a moment ago is not in every broker's metadata yet (UNKNOWN_TOPIC_OR_PARTITION, or no
   * partitions): asked again for a while, as kafkajs' producer would; then reported retriable.
   */
  private async count(topic: string): Promise<number> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const partitions = (await this.admin.partitionLeaders(topic)).size;
        if (partitions > 0) return partitions;
      } catch (err) {
        failure = err;
      }
      if (attempt >= COUNT_ATTEMPTS) throw new AmpsealError('BROKER_UNAVAILABLE', 'the partitions of a topic to produce to are not known', { cause: failure });
      await this.wait(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }

  of(topic: string): number {
    const known = this.counts.get(topic);
    if (!known) throw new Error('partition count not loaded');
    return known.partitions;
  }

  /** `byPartition` with the counts loaded first. */
  async route(records: readonly RoutableRecord[]): Promise<PartitionBatch[]> {
    await this.load(records.filter((r) => r.partition === undefined).map((r) => r.topic));
    return byPartition(records, (topic) => this.of(topic), this.partitioner);
  }
}
