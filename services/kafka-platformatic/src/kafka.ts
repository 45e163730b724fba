import type { AdminPort, KafkaPort, PartitionReadSink, PartitionReadSpec, RecordConsumerPort, RecordConsumerSpec, RecordProducerPort, StreamPort, StreamSpec } from '@ampseal/kafka';
import { PlatformaticAdmin } from './admin';
import { verifyConnection, type PlatformaticConnection } from './client';
import { PlatformaticRecordProducer } from './producer';
import { readPartitionsPlatformatic } from './reader';
import { PlatformaticRecordConsumer } from './record-consumer';
import { PlatformaticStream } from './transactional-stream';

interface Closable {
  stop(): Promise<void>;
}

/**
 * The platformatic adapter of the Kafka port: everything a service does with Kafka on @platformatic/kafka. Each part
 * opens its own library clients (the library has no shared connection object); `close()` stops the consumers,
 * producers and readers opened through it that are still running. Admin connections are their owner's to close.
 */
export class PlatformaticKafka implements KafkaPort {
  readonly client = 'platformatic' as const;
  private readonly open = new Set<Closable>();

  constructor(private readonly connection: PlatformaticConnection) {}

  verify(): Promise<void> {
    return verifyConnection(this.connection);
  }

  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.all(open.map((c) => c.stop().catch(() => undefined)));
  }

  stream(spec: StreamSpec): StreamPort {
    return this.track(new PlatformaticStream({ ...spec, connection: this.connection }));
  }

  consumer(spec: RecordConsumerSpec): RecordConsumerPort {
    return this.track(new PlatformaticRecordConsumer(this.connection, spec));
  }

  producer(options: { readonly idempotent?: boolean } = {}): RecordProducerPort {
    return this.track(new PlatformaticRecordProducer(this.connection, options));
  }

  admin(): AdminPort {
    return new PlatformaticAdmin(this.connection);
  }

  async readPartitions(spec: PartitionReadSpec, sink: PartitionReadSink): Promise<{ stop(): Promise<void> }> {
    return this.track(await readPartitionsPlatformatic(this.connection, spec, sink));
  }

  /** Registers a part so close() reaches it; its own stop() unregisters it. */
  private track<T extends Closable>(part: T): T {
    const stop = part.stop.bind(part);
    this.open.add(part);
    part.stop = async () => {
      this.open.delete(part);
      await stop();
    };
    return part;
  }
}

export function createPlatformaticKafka(connection: PlatformaticConnection): PlatformaticKafka {
  return new PlatformaticKafka(connection);
}
