import { readFileSync } from 'node:fs';
import { ANALYTICS_SCHEMA_FILE, CATALOG, DEFAULT_POLICY_FILE, Transform, createInputParser, parsePolicy, type TokenSource } from '@ampseal/core';
import { RecordConsumer, TopicDirectory, TransactionalStream, createAvroEncoder, createKafka, ensureTopics, type AvroEncoder, type KafkaClient } from '@ampseal/kafka';
import type { KeyRing } from '@ampseal/keyring';
import { Lifecycle, OpsServer, createMetrics, openKeyRing, type Config, type Logger } from '@ampseal/runtime';
import { evictOnReceipt } from './evictions';
import { createRecordHandler } from './handler';
import { pseudonymizerMetrics } from './metrics';

export interface Pseudonymizer {
  readonly lifecycle: Lifecycle;
  readonly ops: OpsServer;
  readonly stream: TransactionalStream;
  /** The key ring once started (tests read its counters). */
  keyring(): KeyRing | undefined;
}

/**
 * Wires the pseudonymizer (style rule 7): ops HTTP first (so /healthz answers while starting), then the key
 * ring, the registry schema, the stream; stopped in reverse. All set-up work (policy, catalog walkers,
 * validators, Avro type) happens here, once.
 */
export function createPseudonymizer(config: Config, logger: Logger): Pseudonymizer {
  const policy = parsePolicy(readFileSync(config.policyFile ?? DEFAULT_POLICY_FILE, 'utf8'), CATALOG);
  const parser = createInputParser({ maxBytes: config.maxRecordBytes });
  const metrics = createMetrics('pseudonymizer');
  const unsubscribe = pseudonymizerMetrics(metrics.registry);
  const kafka: KafkaClient = createKafka({ brokers: config.kafkaBrokers, clientId: `ampseal-pseudonymizer-${config.instanceId}`, logger });
  const topics = config.topics;

  // Both exist only once their components have started; the handler reads them through closures.
  let encoder: AvroEncoder | undefined;
  let keyring: KeyRing | undefined;
  const tokens: TokenSource = {
    tokens: (requests) => keyring!.tokens(requests),
    links: (tenant) => keyring!.links(tenant),
    learnPrivateSites: (tenant, values) => keyring!.learnPrivateSites(tenant, values),
  };
  const transform = new Transform({
    catalog: CATALOG,
    policy,
    tokens,
    parse: parser.parse,
    audiences: config.audiences,
    ...(config.tenants.length > 0 ? { tenants: new Set(config.tenants) } : {}),
  });
  // One roaming topic per recipient, created on first use when topic creation is on (README "Roaming partners").
  const roamingTopics = new TopicDirectory({ kafka, create: config.createTopics, partitions: config.topicPartitions });
  const handler = createRecordHandler({
    transform,
    encoder: () => encoder,
    topics,
    roamingTopics,
    roamingRecipients: new Set(config.roamingRecipients),
  });

  const stream = new TransactionalStream({
    kafka,
    groupId: config.groupId,
    topics: [topics.ocppRaw, topics.ocpiRaw],
    transactionalIdPrefix: `${config.groupId}-tx`,
    handler,
    logger: logger.child({ component: 'stream' }),
    maxRecordsPerTransaction: config.maxRecordsPerTransaction,
    sessionTimeoutMs: config.sessionTimeoutMs,
  });
  // Every instance reads every receipt (a group of its own), from now on: its caches start empty anyway.
  const receipts = new RecordConsumer({
    kafka,
    name: 'receipts',
    groupId: `${config.groupId}-evict-${config.instanceId}`,
    topics: [topics.erasureEvents],
    fromBeginning: false,
    logger,
    onRecord: evictOnReceipt(config.instanceId, () => keyring, logger.child({ component: 'evictions' })),
  });
  const ops = new OpsServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    readiness: {
      // A standby member without partitions is ready: it takes over on the next rebalance.
      ready: () => keyring !== undefined && stream.hasJoined && stream.blockedBy === undefined,
      reasons: () => [
        ...(keyring === undefined ? ['starting'] : []),
        ...(stream.hasJoined ? [] : ['not_in_consumer_group']),
        ...(stream.blockedBy ? [stream.blockedBy] : []),
      ],
    },
  });
  const lifecycle = new Lifecycle(logger, config.stopDeadlineMs)
    .add(ops)
    .add({
      name: 'metrics',
      start: async () => undefined,
      stop: async () => {
        unsubscribe();
        metrics.close();
      },
    })
    .add({
      name: 'keyring',
      start: async () => {
        keyring = await openKeyRing('redis', config, logger);
      },
      stop: async () => {
        await keyring?.stop();
      },
    })
    .add({
      name: 'topics-and-schema',
      start: async () => {
        if (config.createTopics) {
          const created = await ensureTopics(kafka, [
            ...[topics.ocppRaw, topics.ocpiRaw, topics.analytics].map((topic) => ({ topic, partitions: config.topicPartitions })),
            { topic: topics.quarantine, partitions: 1 },
            { topic: topics.erasureEvents, partitions: 1 },
          ]);
          if (created.length) logger.info({ topics: created }, 'created topics');
        }
        if (config.audiences.includes('analytics')) {
          encoder = await createAvroEncoder(config.schemaRegistryUrl, topics.analytics, ANALYTICS_SCHEMA_FILE);
          logger.info({ subject: `${topics.analytics}-value`, schemaId: encoder.schemaId }, 'analytics schema registered');
        }
      },
      stop: async () => undefined,
    })
    .add(receipts)
    .add(roamingTopics)
    .add(stream);
  return { lifecycle, ops, stream, keyring: () => keyring };
}
