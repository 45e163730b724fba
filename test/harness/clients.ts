import { KMSClient } from '@aws-sdk/client-kms';
import Redis from 'ioredis';
import { createKafka, createRegistryClient, type KafkaClient, type KafkaSecurity, type RegistryClient } from '@ampseal/kafka';
import { silentLogger } from '@ampseal/foundation';
import { endpoints } from './endpoints';
import { fileResources, type Resources } from './resources';

/**
 * The stack's own clients for the tests. Kafka and the registry go through the @ampseal/kafka port; Redis and
 * KMS are opened here, the one test module allowed to (tests inspect what the key ring stored).
 */
export { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';

/**
 * A Kafka client registered with the file's resources as it is created: clean-up disconnects every admin,
 * producer and consumer opened through it, even when the test (or a helper) failed before its own disconnect.
 */
export function kafkaClient(clientId: string, brokers: readonly string[] = endpoints().kafkaBrokers, security?: KafkaSecurity): KafkaClient {
  return fileResources().add('kafka client', createKafka({ clientId, brokers, logger: silentLogger, logLevel: 'none', security }), (k) => k.close());
}

/** The registry client speaks plain HTTP request by request: nothing stays open to close. */
export function registryClient(url = endpoints().schemaRegistryUrl): RegistryClient {
  return createRegistryClient(url);
}

export function redisClient(resources: Resources, url = endpoints().redisUrl): Redis {
  return resources.add('redis', new Redis(url, { lazyConnect: false }), (r) => r.quit());
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
