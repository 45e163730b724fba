import { KMSClient } from '@aws-sdk/client-kms';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { endpoints } from './endpoints';
import type { Resources } from './resources';

/** Raw clients for the smoke tests, each registered with the file's resources. */
export function kafkaClient(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: endpoints().kafkaBrokers, logLevel: logLevel.NOTHING });
}

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
