import { Kafka, logLevel, type Admin, type AdminConfig, type Consumer, type ConsumerConfig, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { Logger } from '@ampseal/foundation';
import { mapKafkaLog } from './log-mapper';
import { ignoreKafkajsNegativeTimeout } from './negative-timeout';

ignoreKafkajsNegativeTimeout();

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** `warn` (default) passes kafkajs warnings and errors through the mapper; `none` drops them all (tests). */
  readonly logLevel?: 'warn' | 'none';
}

interface Closable {
  disconnect(): Promise<void>;
}

const RAW = new WeakMap<KafkaClient, Kafka>();

/**
 * A connection to a Kafka cluster. Opaque on purpose: everything done with it goes through this package's
 * stream, consumer, producer, topic administration and reader, so no kafkajs type reaches another workspace.
 * `close()` disconnects every admin, producer and consumer opened through it that is still connected.
 */
export class KafkaClient {
  private readonly open = new Set<Closable>();

  constructor(options: KafkaClientOptions) {
    const logger = options.logger.child({ component: 'kafkajs' });
    RAW.set(
      this,
      new Kafka({
        clientId: options.clientId,
        brokers: [...options.brokers],
        logLevel: options.logLevel === 'none' ? logLevel.NOTHING : logLevel.WARN,
        // One mapper: structured fields only, a fixed message; kafkajs' own text and stacks never pass.
        logCreator: () => (entry: LogEntry) => {
          const fields = mapKafkaLog(entry);
          logger[fields.level]({ kafkajs: fields }, 'kafka client event');
        },
        retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
      }),
    );
  }

  /** Disconnects whatever is still open (idempotent). */
  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.all(open.map((c) => c.disconnect().catch(() => undefined)));
  }

  /** @internal Registers a connection so close() reaches it; disconnect() unregisters it. */
  track<T extends Closable>(closable: T): T {
    const disconnect = closable.disconnect.bind(closable);
    this.open.add(closable);
    closable.disconnect = async () => {
      this.open.delete(closable);
      await disconnect();
    };
    return closable;
  }
}

/** Package-internal: the kafkajs objects behind a client (not exported from the package). */
export function adminOf(client: KafkaClient, config?: AdminConfig): Admin {
  return client.track(RAW.get(client)!.admin(config));
}

export function producerOf(client: KafkaClient, config?: ProducerConfig): Producer {
  return client.track(RAW.get(client)!.producer(config));
}

export function consumerOf(client: KafkaClient, config: ConsumerConfig): Consumer {
  return client.track(RAW.get(client)!.consumer(config));
}

export function createKafka(options: KafkaClientOptions): KafkaClient {
  return new KafkaClient(options);
}
