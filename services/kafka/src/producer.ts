import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Component } from '@ampseal/runtime';
import type { OutputRecord } from './transactional-stream';

/** A plain idempotent producer for single records outside a consume loop (erasure requests from the CLI). */
export class RecordProducer implements Component {
  readonly name = 'record-producer';
  private producer: Producer | undefined;

  constructor(private readonly kafka: Kafka) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    await this.producer.connect();
  }

  async send(record: OutputRecord): Promise<void> {
    if (!this.producer) throw new Error('producer not started');
    await this.producer.send({
      topic: record.topic,
      messages: [{ key: record.key, value: record.value, ...(record.headers ? { headers: record.headers } : {}) }],
    });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
