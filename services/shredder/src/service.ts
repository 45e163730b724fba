import type { SubjectReceipt } from '@ampseal/core';
import { RecordConsumer, RecordProducer, TransactionalStream, createKafka, ensureTopics } from '@ampseal/kafka';
import type { KeyRing } from '@ampseal/keyring';
import { Lifecycle, OpsServer, createMetrics, openKeyRing, type Config, type Logger } from '@ampseal/runtime';
import { ADMIN_PREFIX, adminApi } from './admin-api';
import { createRequestHandler } from './handler';
import { StatusIndex } from './status-index';

export interface Shredder {
  readonly lifecycle: Lifecycle;
  readonly ops: OpsServer;
  readonly status: StatusIndex;
  keyring(): KeyRing | undefined;
}

/**
 * Wires the shredder: ops HTTP (+ admin API when a token is configured), key ring, topics, the status index
 * (reads receipts), the producer for admin submissions, and the exactly-once request stream.
 */
export function createShredder(config: Config, logger: Logger): Shredder {
  const metrics = createMetrics('shredder');
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `ampseal-shredder-${config.instanceId}`, logger });
  const topics = config.topics;
  const status = new StatusIndex();
  const producer = new RecordProducer(kafka);
  let keyring: KeyRing | undefined;

  const stream = new TransactionalStream({
    kafka,
    groupId: config.groupId,
    topics: [topics.erasureRequests],
    transactionalIdPrefix: `${config.groupId}-tx`,
    handler: createRequestHandler({ keyring: () => keyring!, topics, logger }),
    logger: logger.child({ component: 'stream' }),
    maxRecordsPerTransaction: 100,
    sessionTimeoutMs: config.sessionTimeoutMs,
  });
  const receipts = new RecordConsumer({
    kafka,
    name: 'status-index',
    groupId: `${config.groupId}-status-${config.instanceId}`,
    topics: [topics.erasureEvents],
    fromBeginning: true,
    logger,
    onRecord: (record) => {
      try {
        status.receipt(JSON.parse(record.value!.toString('utf8')) as SubjectReceipt);
      } catch {
        logger.warn({ topic: record.topic, offset: record.offset }, 'unreadable receipt skipped');
      }
    },
  });
  const ops = new OpsServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    readiness: {
      ready: () => keyring !== undefined && stream.blockedBy === undefined,
      reasons: () => [...(keyring === undefined ? ['starting'] : []), ...(stream.blockedBy ? [stream.blockedBy] : [])],
    },
  });
  if (config.adminToken) {
    ops.route(
      ADMIN_PREFIX,
      adminApi({
        token: config.adminToken,
        status,
        logger,
        submit: (request) => producer.send({ topic: topics.erasureRequests, key: request.requestId, value: JSON.stringify(request) }),
      }),
    );
  } else {
    logger.info({}, 'admin API off: AMPSEAL_ADMIN_TOKEN is not set');
  }

  const lifecycle = new Lifecycle(logger, config.stopDeadlineMs)
    .add(ops)
    .add({ name: 'metrics', start: async () => undefined, stop: async () => metrics.close() })
    .add({
      name: 'keyring',
      start: async () => {
        keyring = await openKeyRing('redis', config, logger);
      },
      stop: async () => keyring?.stop(),
    })
    .add({
      name: 'topics',
      start: async () => {
        if (!config.createTopics) return;
        await ensureTopics(kafka, [
          { topic: topics.erasureRequests, partitions: 1 },
          { topic: topics.erasureEvents, partitions: 1 },
          { topic: topics.tombstones, partitions: 1, config: { 'cleanup.policy': 'compact' } },
        ]);
      },
      stop: async () => undefined,
    })
    .add(producer)
    .add(receipts)
    .add(stream);
  return { lifecycle, ops, status, keyring: () => keyring };
}
