import { KMSClient } from '@aws-sdk/client-kms';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import Redis from 'ioredis';
import { Kafka, logLevel, type AdminConfig, type Admin, type Consumer, type ConsumerConfig, type Producer, type ProducerConfig } from 'kafkajs';
import { endpoints } from './endpoints';
import { fileResources, type Resources } from './resources';

/**
 * A Kafka whose every admin, producer and consumer is registered with the file's resources as it is
 * created, so clean-up disconnects it even when the test (or a helper) failed before its own disconnect.
 * Disconnecting twice is harmless, so a test may still register one itself.
 */
class RegisteredKafka extends Kafka {
  override admin(config?: AdminConfig): Admin {
    return fileResources().add('kafka admin', super.admin(config), (a) => a.disconnect());
  }

  override producer(config?: ProducerConfig): Producer {
    return fileResources().add('kafka producer', super.producer(config), (p) => p.disconnect());
  }

  override consumer(config: ConsumerConfig): Consumer {
    return fileResources().add('kafka consumer', super.consumer(config), (c) => c.disconnect());
  }
}

/** Raw clients for the tests, each registered with the file's resources. */
export function kafkaClient(clientId: string): Kafka {
  return new RegisteredKafka({ clientId, brokers: endpoints().kafkaBrokers, logLevel: logLevel.NOTHING });
}

/** The registry client speaks plain HTTP request by request: nothing stays open to close. */
export function registryClient(): SchemaRegistry {
  return new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
}

export function redisClient(resources: Resources): Redis {
  return resources.add('redis', new Redis(endpoints().redisUrl, { lazyConnect: false }), (r) => r.quit());
}

export function kmsClient(resources: Resources): KMSClient {
  const { kmsEndpoint, kmsRegion } = endpoints();
  return resources.add(
    'kms',
    new KMSClient({
      endpoint: kmsEndpoint,
      region: kmsRegion,
      // local-kms accepts any credentials; real AWS takes them from the default chain instead.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    async (c) => c.destroy(),
  );
}
