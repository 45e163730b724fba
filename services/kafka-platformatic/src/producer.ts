import { Admin, Producer } from '@platformatic/kafka';
import type { OutputRecord, PartitionedRecord, RecordProducerPort, Written } from '@ampseal/kafka';
import { baseOptions, type PlatformaticConnection } from './client';
import { platformaticFailure } from './failure-policy';
import { PartitionRouter, sendInTurn } from './routing';

/**
 * The platformatic adapter's plain producer (RecordProducerPort): idempotent by default (a retried request never
 * duplicates a record), acks=all, records placed as the kafkajs adapter places them, one request per partition with
 * the partitions at once. Failures are the error table's entries.
 */
export class PlatformaticRecordProducer implements RecordProducerPort {
  readonly name = 'record-producer';
  private producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private admin: Admin | undefined;
  private router: PartitionRouter | undefined;

  constructor(
    private readonly connection: PlatformaticConnection,
    private readonly options: { readonly idempotent?: boolean } = {},
  ) {}

  async start(): Promise<void> {
    const idempotent = this.options.idempotent ?? true;
    this.admin = new Admin(baseOptions(this.connection, 'producer-admin'));
    this.router = new PartitionRouter(this.admin);
    this.producer = new Producer({ ...baseOptions(this.connection, 'producer'), idempotent, acks: -1, autocreateTopics: false });
  }

  async send(record: OutputRecord): Promise<void> {
    await this.sendAll([record]);
  }

  async sendAll(records: readonly PartitionedRecord[]): Promise<Written[]> {
    const producer = this.producer;
    if (!producer || !this.router) throw new Error('producer not started');
    const batches = await this.router.route(records);
    try {
      const sent = await Promise.all(batches.map((b) => sendInTurn([b], (messages) => producer.send({ messages }))));
      const written: Written[] = [];
      for (const results of sent) {
        for (const result of results) for (const o of result.offsets ?? []) written.push({ topic: o.topic, partition: o.partition, baseOffset: o.offset });
      }
      return written;
    } catch (err) {
      throw platformaticFailure(err);
    }
  }

  async stop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.router = undefined;
    await producer?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    this.admin = undefined;
  }
}
