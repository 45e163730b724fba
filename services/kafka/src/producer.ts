import { Partitioners, type Producer } from 'kafkajs';
import type { Component } from '@ampseal/foundation';
import type { KafkaClient } from './client';
import { producerOf } from './raw';
import { PartitionCounts } from './partitioned-send';
import { TopicAdmin } from './topics';
import type { OutputRecord } from './transactional-stream';

/** A record for a chosen partition (a loader that keeps offsets equal to a dataset's). */
export interface PartitionedRecord extends OutputRecord {
  readonly partition?: number;
}

/** Where one produce request put each partition's records: the first one's offset. */
export interface Written {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: bigint;
}

export interface RecordProducerOptions {
  /** Idempotent (default): a retried request never duplicates a record. Off: a bulk loader's own choice. */
  readonly idempotent?: boolean;
  /** Makes it a transactional producer (idempotent): `transaction()` then works. */
  readonly transactionalId?: string;
}

/** Attempts at connecting while the broker kafkajs picked is unreachable (about 20 s with the backoff below). */
const CONNECT_ATTEMPTS = 8;

/**
 * kafkajs asks the broker that the metadata names as controller for an idempotent producer's id, and gives up
 * at once when that broker cannot be reached: right after a broker died it is still listed, until the cluster
 * has noticed. Connecting writes nothing, so trying again (on fresh metadata: disconnect drops it) is safe.
 */
async function connectRetrying(producer: Producer): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.connect();
      return;
    } catch (err) {
      if ((err as Error).name !== 'KafkaJSConnectionError' || attempt >= CONNECT_ATTEMPTS) throw err;
      await producer.disconnect().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
    }
  }
}

/** A plain producer for records outside a consume loop (erasure requests from the CLI, loaders, tests). */
export class RecordProducer implements Component {
  readonly name = 'record-producer';
  private producer: Producer | undefined;
  private readonly admin: TopicAdmin;
  private readonly partitionCounts: PartitionCounts;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: RecordProducerOptions = {},
  ) {
    this.admin = new TopicAdmin(kafka);
    this.partitionCounts = new PartitionCounts(this.admin);
  }

  async start(): Promise<void> {
    const idempotent = this.options.idempotent ?? true;
    this.producer = producerOf(this.kafka, {
      idempotent: idempotent || this.options.transactionalId !== undefined,
      ...(this.options.transactionalId !== undefined ? { transactionalId: this.options.transactionalId } : {}),
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: idempotent ? { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 } : { retries: 5 },
    });
    await connectRetrying(this.producer);
  }

  async send(record: OutputRecord): Promise<void> {
    await this.sendAll([record]);
  }

  /**
   * Records of any topics and partitions (acks=all), one request per partition, the partitions at once; resolves
   * once the brokers have them all (partitioned-send.ts says why never one request for several partitions).
   */
  async sendAll(records: readonly PartitionedRecord[]): Promise<Written[]> {
    const producer = this.producer;
    if (!producer) throw new Error('producer not started');
    const batches = await this.partitionCounts.route(records);
    const written = await Promise.all(batches.map((b) => producer.sendBatch({ acks: -1, topicMessages: [{ topic: b.topic, messages: b.messages }] })));
    return written.flat().map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: BigInt(m.baseOffset ?? '-1') }));
  }

  /** One transaction holding `records`, committed or (to prove readers never see it) aborted. Transactional producers only. */
  async transaction(records: readonly OutputRecord[], outcome: 'commit' | 'abort'): Promise<void> {
    const tx = await this.openTransaction(records);
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  }

  /**
   * Writes `records` in a transaction and leaves it open; the caller commits or aborts it (a test holds one open
   * across a read, as a producer that stalls or crashes mid-transaction does). Transactional producers only.
   */
  async openTransaction(records: readonly OutputRecord[]): Promise<{ commit(): Promise<void>; abort(): Promise<void> }> {
    if (!this.producer || this.options.transactionalId === undefined) throw new Error('transactional producer not started');
    const tx = await this.producer.transaction();
    try {
      // One request per run of records for the same topic: their order is kept, and a large transaction is quick.
      const runs: Array<{ topic: string; records: OutputRecord[] }> = [];
      for (const r of records) {
        const last = runs[runs.length - 1];
        if (last?.topic === r.topic) last.records.push(r);
        else runs.push({ topic: r.topic, records: [r] });
      }
      for (const run of runs) {
        await tx.send({ topic: run.topic, messages: run.records.map((r) => ({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) })) });
      }
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    return { commit: () => tx.commit(), abort: () => tx.abort() };
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
    await this.admin.stop();
  }
}
