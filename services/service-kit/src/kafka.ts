import { createKafka, type KafkaPort } from '@ampseal/kafka';
import type { Logger } from '@ampseal/foundation';
import type { Config } from './config';

/**
 * The Kafka connection on the client AMPSEAL_KAFKA_CLIENT names: the one place a process picks its adapter (services
 * and the CLI alike). The platformatic adapter is loaded only when chosen: its library is an ES module, and a process
 * on kafkajs never loads it.
 */
export async function connectKafka(config: Pick<Config, 'kafkaBrokers' | 'kafkaSecurity' | 'kafkaClient'>, clientId: string, logger: Logger): Promise<KafkaPort> {
  const connection = { brokers: config.kafkaBrokers, clientId, logger, security: config.kafkaSecurity };
  if (config.kafkaClient === 'kafkajs') return createKafka(connection);
  const { createPlatformaticKafka } = await import('@ampseal/kafka-platformatic');
  return createPlatformaticKafka(connection);
}
