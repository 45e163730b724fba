import type { Consumer, KafkaMessage } from 'kafkajs';
import type { Component, Logger } from '@ampseal/foundation';
import type { KafkaClient } from './client';
import { consumerOf } from './raw';
import type { ConsumedRecord } from './transactional-stream';

/** A record as a reader sees it: the consumed record plus its headers and CreateTime. */
export interface ReadRecord extends ConsumedRecord {
  readonly headers: Readonly<Record<string, string>>;
  /** CreateTime (epoch ms) set by the producer. */
  readonly timestamp: number;
}

/** @internal kafkajs message → ReadRecord. */
export function readRecord(topic: string, partition: number, message: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
  return { topic, partition, offset: message.offset, key: message.key, value: message.value, headers, timestamp: Number(message.timestamp) };
}

export interface RecordConsumerOptions {
  readonly kafka: KafkaClient;
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  /** Per record; or `onBatch` for the records of one fetch at once. */
  readonly onRecord?: (record: ReadRecord) => Promise<void> | void;
  readonly onBatch?: (records: readonly ReadRecord[]) => Promise<void> | void;
  readonly logger: Logger;
  /** How long the broker may hold a fetch that has nothing (default 50 ms). */
  readonly maxWaitMs?: number;
  /**
   * The group session (kafkajs' default 30 s otherwise). A member that lost its broker rejoins as a new member, and
   * the coordinator holds that join until the old member's session expires; stop() waits for the join in flight.
   * So after a broker restart this bounds both the rejoin and the stop: services pass AMPSEAL_KAFKA_SESSION_TIMEOUT_MS,
   * the same as their stream's, so the stop deadline covers it as it covers the stream.
   */
  readonly sessionTimeoutMs?: number;
}

/**
 * A plain at-least-once read_committed consumer for side effects that are idempotent (cache eviction on
 * erasure receipts, the shredder's status index) and for followers (a latency probe, a test reading outputs).
 * Each instance may use a group of its own so every instance sees every record.
 */
export class RecordConsumer implements Component {
  readonly name: string;
  private consumer: Consumer | undefined;
  private joined = false;

  constructor(private readonly options: RecordConsumerOptions) {
    this.name = options.name;
  }

  /** Has joined its group (holds its partitions). */
  get hasJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { onRecord, onBatch } = this.options;
    const consumer = consumerOf(this.options.kafka, {
      groupId: this.options.groupId,
      maxWaitTimeInMs: this.options.maxWaitMs ?? 50,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      ...(this.options.sessionTimeoutMs
        ? { sessionTimeout: this.options.sessionTimeoutMs, heartbeatInterval: Math.min(3_000, Math.floor(this.options.sessionTimeoutMs / 3)) }
        : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    await consumer.connect();
    for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning });
    await consumer.run(
      onBatch
        ? { eachBatch: async ({ batch }) => onBatch(batch.messages.map((m) => readRecord(batch.topic, batch.partition, m))) }
        : { eachMessage: async ({ topic, partition, message }) => onRecord?.(readRecord(topic, partition, message)) },
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
