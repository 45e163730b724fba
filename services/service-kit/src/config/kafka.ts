import { hostname } from 'node:os';
import { RECIPIENT_PLACEHOLDER, roamingTopic } from '@ampseal/core';
import { KAFKA_CLIENTS, type Delivery, type KafkaClientName, type KafkaSecurity, type RegistryConnection, type TopicReplication } from '@ampseal/kafka';
import { readKafkaSecurity, readRegistryConnection } from './kafka-security';
import { TOPIC, integer, invalid, flag, name, topic, url, type Env } from './read';

/** Topic names (design §1); every one configurable, `<domain>.<name>.v<N>` by default. */
export interface Topics {
  readonly ocppRaw: string;
  readonly ocpiRaw: string;
  readonly analytics: string;
  /**
   * Roaming output: one topic per recipient (`ocpi.roaming.{recipient}.v1`), because Kafka ACLs restrict
   * reads per topic, not per key. Resolve with `roamingTopic(template, recipient)`.
   */
  readonly roamingTemplate: string;
  readonly quarantine: string;
  readonly erasureRequests: string;
  readonly erasureEvents: string;
  /** Internal, compacted, restricted: the key ring's tombstones, re-applied after a Redis restore. */
  readonly tombstones: string;
}

/** The Kafka edge: brokers, registry, topics, the consumer group and its transactions. */
export interface KafkaSection {
  readonly kafkaBrokers: readonly string[];
  /**
   * Which adapter of the Kafka port runs the transactional stream (AMPSEAL_KAFKA_CLIENT): `kafkajs` (default) or
   * `platformatic` (@platformatic/kafka). Topic administration, the record consumers and producers and the exact
   * reader stay on kafkajs whichever is chosen (README "Kafka clients").
   */
  readonly kafkaClient: KafkaClientName;
  /** TLS and SASL towards the brokers (plaintext only to the loopback, unless allowed). */
  readonly kafkaSecurity: KafkaSecurity;
  readonly schemaRegistryUrl: string;
  /** The registry's URL with its credentials and CA: what the registry clients take. */
  readonly schemaRegistry: RegistryConnection;
  readonly topics: Topics;
  readonly groupId: string;
  readonly instanceId: string;
  readonly maxRecordsPerTransaction: number;
  /**
   * Handling budget of one transaction (ms): a chunk closes at maxRecordsPerTransaction records or at as many as
   * the measured handling time per record fits in this budget, whichever is fewer (docs/guarantees.md).
   */
  readonly maxTransactionMs: number;
  /** The pseudonymizer's delivery guarantee (the shredder is always exactly-once: its receipts are its state). */
  readonly delivery: Delivery;
  /** Create missing topics at start (local stack, demo); production provisions topics itself. */
  readonly createTopics: boolean;
  readonly topicPartitions: number;
  /**
   * Replication of every topic the services create (at start, and each roaming recipient's on first use):
   * 1 on the single-node stack; 3 and 2 on a cluster, so losing one broker loses no acknowledged write and
   * stops no write.
   */
  readonly topicReplication: Required<TopicReplication>;
  /** Consumer-group session timeout: how long a crashed instance holds its partitions. */
  readonly sessionTimeoutMs: number;
}

const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Default handling budget of one transaction (ms); docs/guarantees.md gives the measurement behind it. */
export const DEFAULT_MAX_TRANSACTION_MS = 1_000;

const DELIVERIES: readonly Delivery[] = ['exactly-once', 'at-least-once'];

function kafkaClient(env: Env): KafkaClientName {
  const value = env.AMPSEAL_KAFKA_CLIENT?.trim().toLowerCase() || 'kafkajs';
  if (!(KAFKA_CLIENTS as readonly string[]).includes(value)) invalid('AMPSEAL_KAFKA_CLIENT', KAFKA_CLIENTS.join(' or '));
  return value as KafkaClientName;
}

function delivery(env: Env): Delivery {
  const value = env.AMPSEAL_DELIVERY?.trim().toLowerCase() || 'exactly-once';
  if (!(DELIVERIES as readonly string[]).includes(value)) invalid('AMPSEAL_DELIVERY', DELIVERIES.join(' or '));
  return value as Delivery;
}

export function readKafkaSection(env: Env, defaults: { groupId?: string }): KafkaSection {
  const brokers = (env.AMPSEAL_KAFKA_BROKERS?.trim() || '127.0.0.1:9092').split(',').map((b) => b.trim());
  if (brokers.some((b) => !BROKER.test(b))) invalid('AMPSEAL_KAFKA_BROKERS', 'a comma-separated list of host:port');
  const registryUrl = url(env, 'AMPSEAL_SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7', ['http', 'https'])!;
  return {
    kafkaBrokers: Object.freeze(brokers),
    kafkaClient: kafkaClient(env),
    kafkaSecurity: readKafkaSecurity(env, brokers),
    schemaRegistryUrl: registryUrl,
    schemaRegistry: readRegistryConnection(env, registryUrl),
    topics: Object.freeze({
      ocppRaw: topic(env, 'AMPSEAL_TOPIC_OCPP_RAW', 'ocpp.raw.v1'),
      ocpiRaw: topic(env, 'AMPSEAL_TOPIC_OCPI_RAW', 'ocpi.raw.v1'),
      analytics: topic(env, 'AMPSEAL_TOPIC_ANALYTICS', 'charging.sessions.analytics.v1'),
      roamingTemplate: topicTemplate(env, 'AMPSEAL_TOPIC_ROAMING', `ocpi.roaming.${RECIPIENT_PLACEHOLDER}.v1`),
      quarantine: topic(env, 'AMPSEAL_TOPIC_QUARANTINE', 'ampseal.quarantine.v1'),
      erasureRequests: topic(env, 'AMPSEAL_TOPIC_ERASURE_REQUESTS', 'privacy.erasure.requests.v1'),
      erasureEvents: topic(env, 'AMPSEAL_TOPIC_ERASURE_EVENTS', 'privacy.erasure.events.v1'),
      tombstones: topic(env, 'AMPSEAL_TOPIC_TOMBSTONES', 'ampseal.tombstones.v1'),
    }),
    groupId: name(env, 'AMPSEAL_GROUP_ID', defaults.groupId ?? 'ampseal-pseudonymizer'),
    instanceId: name(env, 'AMPSEAL_INSTANCE_ID', `${hostname()}-${process.pid}`),
    maxRecordsPerTransaction: integer(env, 'AMPSEAL_MAX_RECORDS_PER_TRANSACTION', 2_000, 1, 100_000),
    // At most a third of the transaction timeout (30 s): a budget overrun by a slow chunk must not abort it.
    maxTransactionMs: integer(env, 'AMPSEAL_MAX_TRANSACTION_MS', DEFAULT_MAX_TRANSACTION_MS, 1, 10_000),
    delivery: delivery(env),
    createTopics: flag(env, 'AMPSEAL_CREATE_TOPICS', false),
    topicPartitions: integer(env, 'AMPSEAL_TOPIC_PARTITIONS', 3, 1, 1_000),
    topicReplication: topicReplication(env),
    sessionTimeoutMs: integer(env, 'AMPSEAL_KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
  };
}

/** The port's replication setting, validated here once (the port takes it as given). */
function topicReplication(env: Env): Required<TopicReplication> {
  const factor = integer(env, 'AMPSEAL_TOPIC_REPLICATION_FACTOR', 1, 1, 32);
  const minInsyncReplicas = integer(env, 'AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS', 1, 1, 32);
  // More required in-sync replicas than replicas: every acks=all write (every transactional one) fails.
  if (minInsyncReplicas > factor) invalid('AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS', `at most AMPSEAL_TOPIC_REPLICATION_FACTOR (${factor})`);
  return Object.freeze({ factor, minInsyncReplicas });
}

/** A topic name with `{recipient}` exactly once; a legal topic name for any recipient (`CC-PID`, 6 characters). */
function topicTemplate(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (value.split(RECIPIENT_PLACEHOLDER).length !== 2 || !TOPIC.test(roamingTopic(value, 'NL-TNM'))) {
    invalid(variable, `a Kafka topic name holding ${RECIPIENT_PLACEHOLDER} once, such as ocpi.roaming.${RECIPIENT_PLACEHOLDER}.v1`);
  }
  return value;
}
