import { parseReceipt } from '@ampseal/core';
import { RecordConsumer, RecordProducer } from '@ampseal/kafka';
import { createStreamService, type Config, type Logger, type StreamService } from '@ampseal/service-kit';
import { ADMIN_PREFIX, adminApi } from './admin-api';
import { createRequestHandler } from './handler';
import { StatusIndex } from './status-index';

export interface Shredder extends StreamService {
  readonly status: StatusIndex;
}

/**
 * The shredder on the service kit: requests in, receipts and the tombstone journal out, exactly once. What is
 * its own: the request handler, the status index (reads receipts), and the admin API with the producer it
 * submits through (when a token is configured).
 */
export function createShredder(config: Config, logger: Logger): Shredder {
  const topics = config.topics;
  const status = new StatusIndex();
  if (!config.adminToken) logger.info({}, 'admin API off: AMPSEAL_ADMIN_TOKEN is not set');
  const service = createStreamService({
    name: 'shredder',
    config,
    logger,
    inputTopics: [topics.erasureRequests],
    maxRecordsPerTransaction: 100,
    topics: [
      { topic: topics.erasureRequests, partitions: 1 },
      { topic: topics.erasureEvents, partitions: 1 },
      { topic: topics.tombstones, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ],
    setUp: ({ kafka, keyring }) => {
      const producer = new RecordProducer(kafka);
      const receipts = new RecordConsumer({
        kafka,
        name: 'status-index',
        groupId: `${config.groupId}-status-${config.instanceId}`,
        topics: [topics.erasureEvents],
        fromBeginning: true,
        logger,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onRecord: (record) => {
          const parsed = parseReceipt(record.value?.toString('utf8') ?? '');
          if (parsed.ok) status.receipt(parsed.value);
          else logger.warn({ topic: record.topic, offset: record.offset, problem: parsed.problem }, 'unreadable receipt skipped');
        },
      });
      const admin = config.adminToken
        ? adminApi({
            token: config.adminToken,
            status,
            logger,
            submit: (request) => producer.send({ topic: topics.erasureRequests, key: request.requestId, value: JSON.stringify(request) }),
          })
        : undefined;
      return {
        handler: createRequestHandler({ keyring, topics, logger }),
        components: [producer, receipts],
        routes: admin ? [[ADMIN_PREFIX, admin] as const] : [],
      };
    },
  });
  return { ...service, status };
}
