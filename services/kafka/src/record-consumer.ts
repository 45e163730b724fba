import type { Consumer, Kafka } from 'kafkajs';
import type { Component, Logger } from '@ampseal/runtime';
import type { ConsumedRecord } from './transactional-stream';

/**
 * A plain at-least-once consumer for side effects that are idempotent (cache eviction on erasure receipts,
 * the shredder's status index). Each instance may use a group of its own so every instance sees every record.
 */
export class RecordConsumer implements Component {
  readonly name: string;
  private consumer: Consumer | undefined;

  constructor(
    private readonly options: {
      readonly kafka: Kafka;
      readonly name: string;
      readonly groupId: string;
      readonly topics: readonly string[];
      readonly fromBeginning: boolean;
      readonly onRecord: (record: ConsumedRecord) => Promise<void> | void;
      readonly logger: Logger;
    },
  ) {
    this.name = options.name;
  }

  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({ groupId: this.options.groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        await this.options.onRecord({ topic, partition, offset: message.offset, key: message.key, value: message.value });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

/**
 * Reads a topic from the beginning up to its current end and returns the records whose key matches, or
 * all of them for a null key (ops look-ups such as `ampseal erasure status`, tombstone re-application). Done when every non-empty partition has reached the end
 * offset taken at the start; transaction markers occupy offsets no record shows, so a partition that goes
 * quiet after reading is taken as read.
 */
export async function scanTopic(kafka: Kafka, topic: string, key: string | null, timeoutMs = 15_000): Promise<ConsumedRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const found: ConsumedRecord[] = [];
  if (ends.size === 0) return found;
  const consumer = kafka.consumer({ groupId: `ampseal-scan-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 50, readUncommitted: false });
  await consumer.connect();
  const reached = new Set<number>();
  let lastActivity = Date.now();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    void consumer.run({
      eachBatch: async ({ batch }) => {
        lastActivity = Date.now();
        for (const m of batch.messages) {
          if (key === null || m.key?.toString() === key) found.push({ topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
        }
        if (BigInt(batch.lastOffset()) + 1n >= (ends.get(batch.partition) ?? 0n)) reached.add(batch.partition);
      },
    });
    const started = Date.now();
    while (reached.size < ends.size && Date.now() - started < timeoutMs) {
      if (Date.now() - lastActivity > 1_500 && Date.now() - started > 3_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await consumer.disconnect();
  }
  return found;
}
