import type { AmpsealError } from '@ampseal/core';
import { Lifecycle, type Component, type Logger } from '@ampseal/foundation';
import { ensureTopics, type Delivery, type KafkaPort, type StreamHandler, type StreamPort, type TopicSpec } from '@ampseal/kafka';
import type { KeyRing } from '@ampseal/keyring';
import type { Config } from './config';
import { KeyRingComponent, type KeyRingKind } from './keyring';
import { connectKafka } from './kafka';
import { createMetrics, streamMetrics, type MetricsAdapter } from './metrics';
import { OpsServer } from './ops-server';

/** What a service's set-up gets: everything started before its own parts, the key ring included. */
export interface StreamServiceContext {
  readonly config: Config;
  readonly logger: Logger;
  /** The connection on the client AMPSEAL_KAFKA_CLIENT chose (verified): the service's consumers, producers, topics. */
  readonly kafka: KafkaPort;
  /** Started: the handler holds it directly. */
  readonly keyring: KeyRing;
  /**
   * Fails the service for good from outside the stream (a part that died between chunks, such as a handler
   * thread): readiness turns to the reason and `failed` settles, as for a failure the stream itself meets.
   */
  readonly fail: (error: AmpsealError) => void;
}

/** What is truly a service's own: its handler and its components. */
export interface StreamServiceParts {
  readonly handler: StreamHandler;
  /** Started in order after the key ring and topics, before the stream; stopped in reverse after it. */
  readonly components?: readonly Component[];
}

export interface StreamServiceSpec {
  /** `pseudonymizer`, `shredder`: the metrics' service label and the Kafka client id. */
  readonly name: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly keyring?: KeyRingKind;
  readonly inputTopics: readonly string[];
  readonly maxRecordsPerTransaction: number;
  /** Default `exactly-once`; AMPSEAL_DELIVERY is the pseudonymizer's to pass (the shredder's receipts need exactly once). */
  readonly delivery?: Delivery;
  /** Partitions handled at once (TransactionalStream `partitionsConcurrently`); default 1. */
  readonly partitionsConcurrently?: number;
  /** Created at start when AMPSEAL_CREATE_TOPICS is on. */
  readonly topics?: readonly TopicSpec[];
  /** Adapters of the service's own diagnostics channels (the stream's and the key ring's are always on). */
  readonly metrics?: readonly MetricsAdapter[];
  /** Ready only once in the consumer group (a standby without partitions is ready: it takes over on rebalance). */
  readonly readyWhenJoined?: boolean;
  /** Builds the service's own parts once the key ring has started and the topics exist. */
  readonly setUp: (context: StreamServiceContext) => Promise<StreamServiceParts> | StreamServiceParts;
}

export interface StreamService {
  readonly lifecycle: Lifecycle;
  readonly ops: OpsServer;
  /** The started key ring (tests read its counters), or undefined before start and after stop. */
  keyring(): KeyRing | undefined;
  /** The stream once set up (on the client AMPSEAL_KAFKA_CLIENT chose). */
  stream(): StreamPort | undefined;
  /**
   * Settles when the stream fails for good (failure policy `stop`: fenced, not authorized, the consumer gone, a
   * handler's non-retriable failure). By then /readyz answers 503 with the reason; stopping and the exit code are
   * the owner's (`runService` stops the lifecycle and exits 1). Never settles otherwise.
   */
  readonly failed: Promise<AmpsealError>;
}

/**
 * One skeleton for every exactly-once stream service (style rule 7): ops HTTP first (so /healthz answers while
 * starting, and /readyz turns to `stopping` before anything stops), metrics, the key ring, the topics, then the
 * service's own parts built from the started key ring, then the stream; stopped in reverse within one deadline.
 */
export function createStreamService(spec: StreamServiceSpec): StreamService {
  const { config, logger, name } = spec;
  const metrics = createMetrics(name, [streamMetrics, ...(spec.metrics ?? [])]);
  let kafka: KafkaPort | undefined;
  const connected = (): KafkaPort => {
    if (!kafka) throw new Error('Kafka is not connected yet');
    return kafka;
  };
  const keyring = new KeyRingComponent(spec.keyring ?? 'redis', config, logger);
  let stream: StreamPort | undefined;
  let inner: Lifecycle | undefined;
  let onFailure: (error: AmpsealError) => void = () => undefined;
  const failed = new Promise<AmpsealError>((resolve) => {
    onFailure = resolve;
  });

  let failedWith: AmpsealError | undefined;
  const fail = (error: AmpsealError) => {
    if (failedWith) return;
    failedWith = error;
    // Readiness first, so the reason is what /readyz says from now until the process is gone.
    ops.fail(error.reason);
    onFailure(error);
  };

  const ops = new OpsServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    readiness: {
      ready: () => stream !== undefined && (!spec.readyWhenJoined || stream.hasJoined) && stream.blockedBy === undefined,
      reasons: () => [
        ...(stream === undefined ? ['starting'] : []),
        ...(spec.readyWhenJoined && stream && !stream.hasJoined ? ['not_in_consumer_group'] : []),
        ...(stream?.blockedBy ? [stream.blockedBy] : []),
      ],
    },
  });

  const own: Component = {
    name: name,
    start: async () => {
      const parts = await spec.setUp({ config, logger, kafka: connected(), keyring: keyring.ring, fail });
      const built = connected().stream({
        groupId: config.groupId,
        topics: spec.inputTopics,
        transactionalIdPrefix: `${config.groupId}-tx`,
        handler: parts.handler,
        logger: logger.child({ component: 'stream' }),
        maxRecordsPerTransaction: spec.maxRecordsPerTransaction,
        maxTransactionMs: config.maxTransactionMs,
        delivery: spec.delivery ?? 'exactly-once',
        partitionsConcurrently: spec.partitionsConcurrently ?? 1,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onFailure: fail,
      });
      inner = new Lifecycle(logger, config.stopDeadlineMs);
      for (const component of parts.components ?? []) inner.add(component);
      inner.add({
        name: built.name,
        start: async () => {
          stream = built;
          await built.start();
        },
        stop: () => built.stop(),
      });
      await inner.start();
    },
    stop: async () => {
      const clean = (await inner?.stop()) ?? true;
      stream = undefined;
      if (!clean) throw new Error(`${name} did not stop cleanly`);
    },
  };

  const lifecycle = new Lifecycle(logger, config.stopDeadlineMs)
    .add(ops)
    .add({ name: 'metrics', start: async () => undefined, stop: async () => metrics.close() })
    .add(keyring)
    // Certificate and credentials checked before anything else talks to Kafka: a wrong password or an untrusted
    // broker stops the start with its code instead of surfacing as retries. Stopped last: whatever is still open.
    .add({
      name: 'kafka',
      start: async () => {
        kafka = await connectKafka(config, `ampseal-${name}-${config.instanceId}`, logger);
        await kafka.verify();
      },
      stop: async () => {
        await kafka?.close();
      },
    })
    .add({
      name: 'topics',
      start: async () => {
        if (!config.createTopics || !spec.topics?.length) return;
        const created = await ensureTopics(connected(), spec.topics, config.topicReplication);
        if (created.length) logger.info({ topics: created }, 'created topics');
      },
      stop: async () => undefined,
    })
    .add(own);
  return { lifecycle, ops, keyring: () => (keyring.started ? keyring.ring : undefined), stream: () => stream, failed };
}
