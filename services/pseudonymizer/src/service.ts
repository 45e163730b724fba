import { ANALYTICS_SCHEMA_FILE } from '@ampseal/core';
import { TopicDirectory, createAvroEncoder } from '@ampseal/kafka';
import { createStreamService, type Config, type Logger, type StreamService } from '@ampseal/service-kit';
import { evictOnReceipt, type Evictor } from './evictions';
import { createRecordHandler, pipelineTransform } from './handler';
import { pipelineMetrics } from './metrics';
import { HandlerThreads } from './threads/handler-threads';
import { threadConfig } from './threads/thread-data';

export interface Pseudonymizer extends StreamService {
  /** The handler threads while they run (AMPSEAL_HANDLER_THREADS ≥ 1), else undefined. */
  handlerThreads(): HandlerThreads | undefined;
}

/**
 * The pseudonymizer on the service kit: raw topics in, analytics/roaming/quarantine out. What is its own: the
 * transform (policy, catalog walkers, validators: built once, here, or once in each handler thread), the analytics schema, the roaming topic
 * directory, and the receipts consumer that evicts erased subjects from this instance's caches.
 */
export function createPseudonymizer(config: Config, logger: Logger): Pseudonymizer {
  const topics = config.topics;
  let running: HandlerThreads | undefined;
  const service = createStreamService({
    name: 'pseudonymizer',
    config,
    logger,
    inputTopics: [topics.ocppRaw, topics.ocpiRaw],
    maxRecordsPerTransaction: config.maxRecordsPerTransaction,
    delivery: config.delivery,
    readyWhenJoined: true,
    partitionsConcurrently: config.partitionsConcurrently,
    metrics: [pipelineMetrics],
    topics: [
      ...[topics.ocppRaw, topics.ocpiRaw, topics.analytics].map((topic) => ({ topic, partitions: config.topicPartitions })),
      { topic: topics.quarantine, partitions: 1 },
      // K41: receipts carry retired tokens; kept as long as tombstones (raw retention + maximum backup age), then dropped.
      { topic: topics.erasureEvents, partitions: 1, config: { 'retention.ms': String(config.tombstoneLifetimeMs) } },
    ],
    setUp: async ({ kafka, keyring, fail }) => {
      const encoder = config.audiences.includes('analytics')
        ? await createAvroEncoder(config.schemaRegistry, topics.analytics, ANALYTICS_SCHEMA_FILE)
        : undefined;
      if (encoder) logger.info({ subject: `${topics.analytics}-value`, schemaId: encoder.schemaId }, 'analytics schema registered');
      // One roaming topic per recipient, created on first use when topic creation is on (README "Roaming partners").
      const roamingTopics = new TopicDirectory({
        kafka,
        create: config.createTopics,
        partitions: config.topicPartitions,
        replication: config.topicReplication,
      });
      // AMPSEAL_HANDLER_THREADS: the handler on worker threads, each with its own key ring, transform and encoder
      // (the schema id registered above); receipts are forwarded to every thread's key cache.
      const threads =
        config.handlerThreads > 0
          ? new HandlerThreads({
              threads: config.handlerThreads,
              data: { keyring: 'redis', config: threadConfig(config), schemaId: encoder?.schemaId },
              roamingTopics,
              logger,
              onFailure: fail,
            })
          : undefined;
      const evictor: Evictor = threads
        ? { evict: async (tenant, tokens) => keyring.evict(tenant, tokens) + (await threads.evict(tenant, tokens)) }
        : keyring;
      // Every instance reads every receipt (a group of its own), from now on: its caches start empty anyway.
      const receipts = kafka.consumer({
        name: 'receipts',
        groupId: `${config.groupId}-evict-${config.instanceId}`,
        topics: [topics.erasureEvents],
        fromBeginning: false,
        logger,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onRecord: evictOnReceipt(config.instanceId, evictor, logger.child({ component: 'evictions' })),
      });
      if (threads) {
        running = threads;
        return { handler: threads.handler, components: [threads, receipts, roamingTopics] };
      }
      const transform = pipelineTransform(config, keyring);
      return {
        handler: createRecordHandler({ transform, encoder, topics, roamingTopics, roamingRecipients: new Set(config.roamingRecipients) }),
        components: [receipts, roamingTopics],
      };
    },
  });
  return { ...service, handlerThreads: () => (running?.isRunning ? running : undefined) };
}
