import { randomBytes } from 'node:crypto';
import { endpoints } from './endpoints';
import { uniqueName } from './resources';

/** Environment for one pseudonymizer under test: its own topics, group and ephemeral HTTP port. */
export function pipelineEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const e = endpoints();
  const id = uniqueName('t').replace('.', '-');
  return {
    AMPSEAL_KAFKA_BROKERS: e.kafkaBrokers.join(','),
    AMPSEAL_SCHEMA_REGISTRY_URL: e.schemaRegistryUrl,
    AMPSEAL_REDIS_URL: e.redisUrl,
    AMPSEAL_KMS_ENDPOINT: e.kmsEndpoint,
    AMPSEAL_KMS_REGION: e.kmsRegion,
    // The test stack's KMS is local-kms (plain http): an emulator by declaration.
    AMPSEAL_KMS_EMULATOR: 'true',
    AMPSEAL_TOPIC_OCPP_RAW: `${id}.ocpp.raw.v1`,
    AMPSEAL_TOPIC_OCPI_RAW: `${id}.ocpi.raw.v1`,
    AMPSEAL_TOPIC_ANALYTICS: `${id}.charging.sessions.analytics.v1`,
    AMPSEAL_TOPIC_ROAMING: `${id}.ocpi.roaming.{recipient}.v1`,
    AMPSEAL_TOPIC_QUARANTINE: `${id}.ampseal.quarantine.v1`,
    AMPSEAL_TOPIC_ERASURE_REQUESTS: `${id}.privacy.erasure.requests.v1`,
    AMPSEAL_TOPIC_ERASURE_EVENTS: `${id}.privacy.erasure.events.v1`,
    AMPSEAL_TOPIC_TOMBSTONES: `${id}.ampseal.tombstones.v1`,
    AMPSEAL_GROUP_ID: `${id}-pseudonymizer`,
    AMPSEAL_HTTP_PORT: '0',
    AMPSEAL_HTTP_HOST: '127.0.0.1',
    AMPSEAL_CREATE_TOPICS: 'true',
    AMPSEAL_TOPIC_PARTITIONS: '2',
    AMPSEAL_LOG_LEVEL: 'warn',
    AMPSEAL_STOP_DEADLINE_MS: '15000',
    // AMPSEAL_TEST_HANDLER_THREADS=1 runs every pipeline test with the handler on a worker thread (and partitions
    // handled at once): `AMPSEAL_TEST_HANDLER_THREADS=1 npx jest pipeline/end-to-end.test.ts`.
    ...(process.env.AMPSEAL_TEST_HANDLER_THREADS ? { AMPSEAL_HANDLER_THREADS: process.env.AMPSEAL_TEST_HANDLER_THREADS } : {}),
    // The pipeline's tests run on either adapter of the Kafka port: AMPSEAL_TEST_KAFKA_CLIENT=platformatic runs
    // them on @platformatic/kafka (jest needs --experimental-vm-modules for it: the test script sets it).
    ...(process.env.AMPSEAL_TEST_KAFKA_CLIENT ? { AMPSEAL_KAFKA_CLIENT: process.env.AMPSEAL_TEST_KAFKA_CLIENT } : {}),
    ...overrides,
  };
}

/**
 * One OCPP 1.6 StartTransaction whose meterStart is its input index, so an output says which input it came from
 * (the crash and leader-kill tests count exactly one output per input by it). A fresh random card each time, so
 * every input is a subject not seen before. `tenant` must have a KMS key (the stack seeds acme-cpo and voltway-cpo).
 */
export function indexedStart(i: number, tenant = 'acme-cpo'): { key: string; value: string } {
  const idTag = randomBytes(7).toString('hex').toUpperCase();
  return {
    key: `CP-${i % 50}`,
    value: JSON.stringify({
      tenant,
      source: 'ocpp1.6',
      stationId: `CP-${i % 50}`,
      receivedAt: '2026-11-24T10:00:03.120Z',
      action: 'StartTransaction',
      frame: [2, `m${i}`, 'StartTransaction', { connectorId: 1, idTag, meterStart: i, timestamp: '2026-11-24T10:00:03Z' }],
    }),
  };
}
