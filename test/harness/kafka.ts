import { RecordConsumer, RecordProducer, TopicAdmin, type KafkaClient, type ReadRecord } from '@ampseal/kafka';
import { silentLogger } from '@ampseal/foundation';
import { uniqueName } from './resources';
import type { Resources } from './resources';

export interface Seen {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** CreateTime (epoch ms) set by the producer. */
  readonly timestamp: number;
}

/** A topic admin on `kafka` (the client's clean-up closes it too). */
export function topicAdmin(kafka: KafkaClient): TopicAdmin {
  return new TopicAdmin(kafka);
}

export async function createTopics(kafka: KafkaClient, resources: Resources, topics: Array<{ topic: string; partitions?: number }>): Promise<void> {
  const admin = resources.add('admin', topicAdmin(kafka), (a) => a.stop());
  await admin.ensure(topics.map((t) => ({ topic: t.topic, partitions: t.partitions ?? 1 })), { factor: 1 });
  resources.add('topics', topics.map((t) => t.topic), (names) => admin.delete(names).catch(() => undefined));
}

/** Idempotent on request: a produce retried across a leader failover must not write an input twice. */
export async function produce(
  kafka: KafkaClient,
  topic: string,
  messages: Array<{ key: string | null; value: string | Buffer; headers?: Record<string, string> }>,
  options: { idempotent?: boolean } = {},
): Promise<void> {
  const producer = new RecordProducer(kafka, { idempotent: options.idempotent ?? false });
  await producer.start();
  try {
    for (let i = 0; i < messages.length; i += 500) await producer.sendAll(messages.slice(i, i + 500).map((m) => ({ topic, ...m })));
  } finally {
    await producer.stop();
  }
}

/**
 * Waits until every topic exists (the pseudonymizer creates a roaming recipient's topic on first use, and a
 * consumer cannot subscribe to a topic before it exists). Polls the broker's topic list.
 */
export async function waitForTopics(kafka: KafkaClient, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const admin = topicAdmin(kafka);
  try {
    await admin.waitFor(topics, timeoutMs);
  } finally {
    await admin.stop();
  }
}

function seenOf(r: ReadRecord): Seen {
  return { topic: r.topic, partition: r.partition, offset: r.offset, key: r.key?.toString() ?? null, value: r.value, headers: { ...r.headers }, timestamp: r.timestamp };
}

/**
 * Reads `topics` with read_committed from the beginning until `done(seen)` holds or the timeout passes;
 * what a downstream consumer would see.
 */
export async function consumeUntil(
  kafka: KafkaClient,
  topics: string[],
  done: (seen: readonly Seen[]) => boolean,
  timeoutMs = 30_000,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(() => finish(), timeoutMs);
  const consumer = new RecordConsumer({
    kafka,
    name: 'reader',
    groupId: uniqueName('reader'),
    topics,
    fromBeginning: true,
    logger: silentLogger,
    maxWaitMs: 100,
    onRecord: (record) => {
      seen.push(seenOf(record));
      if (done(seen)) finish();
    },
  });
  try {
    await consumer.start();
    if (done(seen)) finish();
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
  return seen;
}

/**
 * How far a consumer group has got on one topic, read the way an operator would: the group's committed
 * offsets (what its transactions committed), against the topic's end offsets.
 */
export class GroupProgress {
  private readonly admin: TopicAdmin;

  constructor(
    kafka: KafkaClient,
    private readonly groupId: string,
    private readonly topic: string,
  ) {
    // kafkaClient() closes everything it opened at clean-up.
    this.admin = topicAdmin(kafka);
  }

  /** Input records committed by the group: the sum of its committed offsets (a raw topic has no gaps). */
  async committed(): Promise<number> {
    return [...(await this.perPartition()).values()].reduce((sum, o) => sum + o, 0);
  }

  /**
   * The group's committed offset per partition of the topic. A retriable refusal (the group coordinator still
   * loading right after the broker started) is asked again; the file's budget bounds the wait.
   */
  async perPartition(): Promise<Map<number, number>> {
    for (;;) {
      try {
        const offsets = (await this.admin.committed(this.groupId, [this.topic])).get(this.topic) ?? new Map<number, bigint>();
        return new Map([...offsets].map(([partition, offset]) => [partition, Number(offset)]));
      } catch (err) {
        if ((err as { retriable?: boolean }).retriable !== true) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * Polls until at least `n` input records are committed and resolves with the count then. A read that fails (a
   * broker or coordinator coming back) is asked again: the file's budget bounds the wait, not a guess at speed.
   */
  async reach(n: number, pollMs = 50): Promise<number> {
    for (;;) {
      const committed = await this.committed().catch(() => -1);
      if (committed >= n) return committed;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** The topic's end offset per partition. */
  async ends(): Promise<Map<number, number>> {
    const offsets = await this.admin.offsets(this.topic);
    return new Map([...offsets].map(([partition, { high }]) => [partition, Number(high)]));
  }
}
