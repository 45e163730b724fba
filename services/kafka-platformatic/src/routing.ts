import { murmur2, type Admin, type MessageToProduce } from '@platformatic/kafka';
import { AmpsealError } from '@ampseal/core';
import { produceRequests, type OutputRecord } from '@ampseal/kafka';

export type Produced = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
/** A record that may name its partition (a loader keeping a dataset's offsets); else the key places it. */
export type Routable = OutputRecord & { readonly partition?: number };
/** One topic-partition's records: what to send and, in the same order, what each weighs (produce-requests.ts). */
export type Batch = { readonly topic: string; readonly partition: number; readonly messages: Produced[]; readonly sized: OutputRecord[] };

/** How long a topic's partition count is trusted (a count only ever grows). */
const COUNT_TTL_MS = 300_000;

/**
 * Records per topic-partition, each placed where kafkajs' default partitioner (and the Java client's) puts it:
 * murmur2 of the key, positive, modulo the partition count; round robin without a key; or where the record says.
 * The two adapters write a key to the same partition. One per stream or producer (its own round-robin counter).
 */
export class PartitionRouter {
  private readonly counts = new Map<string, { readonly partitions: number; readonly at: number }>();
  private roundRobin = 0;

  constructor(private readonly admin: Admin) {}

  async route(records: readonly Routable[]): Promise<Batch[]> {
    await this.loadCounts([...new Set(records.filter((r) => r.partition === undefined).map((r) => r.topic))]);
    const batches = new Map<string, Batch>();
    for (const o of records) {
      const key = o.key === null ? undefined : typeof o.key === 'string' ? Buffer.from(o.key) : o.key;
      const partition = o.partition ?? this.place(o.topic, key);
      const id = `${partition}:${o.topic}`;
      let batch = batches.get(id);
      if (!batch) batches.set(id, (batch = { topic: o.topic, partition, messages: [], sized: [] }));
      batch.sized.push(o);
      batch.messages.push({
        topic: o.topic,
        partition,
        ...(key !== undefined ? { key } : {}),
        value: typeof o.value === 'string' ? Buffer.from(o.value) : o.value,
        ...(o.headers ? { headers: new Map(Object.entries(o.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) } : {}),
      });
    }
    return [...batches.values()];
  }

  private place(topic: string, key: Buffer | undefined): number {
    const count = this.counts.get(topic)!.partitions;
    return key === undefined ? this.roundRobin++ % count : (murmur2(key, false) & 0x7fffffff) % count;
  }

  private async loadCounts(topics: readonly string[]): Promise<void> {
    const now = Date.now();
    const missing = topics.filter((t) => {
      const known = this.counts.get(t);
      return !known || now - known.at > COUNT_TTL_MS;
    });
    if (missing.length === 0) return;
    let metadata;
    try {
      metadata = await this.admin.metadata({ topics: missing, forceUpdate: true });
    } catch (err) {
      throw new AmpsealError('BROKER_UNAVAILABLE', 'the partitions of a topic to produce to are not known', { cause: err });
    }
    for (const t of missing) {
      const partitions = metadata.topics.get(t)?.partitionsCount ?? 0;
      if (partitions <= 0) throw new AmpsealError('BROKER_UNAVAILABLE', 'the partitions of a topic to produce to are not known');
      this.counts.set(t, { partitions, at: now });
    }
  }
}

/** One partition per call and in turn, each in requests of bounded size (the same rule as the kafkajs adapter). */
export async function sendInTurn<T>(batches: readonly Batch[], send: (messages: Produced[], batch: Batch) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const b of batches) {
    let at = 0;
    for (const run of produceRequests(b.sized)) {
      results.push(await send(run.length === b.messages.length ? b.messages : b.messages.slice(at, at + run.length), b));
      at += run.length;
    }
  }
  return results;
}

/** Record headers as UTF-8 text (the first value of a repeated header), as the port hands them to handlers. */
export function headerText(headers: ReadonlyMap<Buffer, Buffer> | Iterable<[Buffer | null, Buffer | null]>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of headers) {
    const k = name?.toString() ?? '';
    if (!(k in text)) text[k] = value?.toString() ?? '';
  }
  return text;
}
