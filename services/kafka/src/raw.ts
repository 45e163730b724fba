import type { Admin, AdminConfig, Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';

/** What the kafkajs objects are opened through: a client that tracks them so its `close()` reaches them. */
export interface Tracking {
  track<T extends { disconnect(): Promise<void> }>(closable: T): T;
}

const RAW = new WeakMap<Tracking, Kafka>();

/**
 * Package-internal: the kafkajs instance behind a KafkaClient. Kept apart from client.ts so the adapter's parts
 * (stream, consumer, producer, admin, reader) reach kafkajs without importing the client that builds them.
 */
export function bindKafkajs(client: Tracking, kafka: Kafka): void {
  RAW.set(client, kafka);
}

export function kafkaOf(client: Tracking): Kafka {
  const kafka = RAW.get(client);
  if (!kafka) throw new Error('not a kafkajs client');
  return kafka;
}

export function adminOf(client: Tracking, config?: AdminConfig): Admin {
  return client.track(kafkaOf(client).admin(config));
}

export function producerOf(client: Tracking, config?: ProducerConfig): Producer {
  return client.track(kafkaOf(client).producer(config));
}

export function consumerOf(client: Tracking, config: ConsumerConfig): Consumer {
  return client.track(kafkaOf(client).consumer(config));
}
