import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { STREAM_CHANNEL, type StreamEvent } from '@ampseal/kafka';
import { KEYRING_CHANNEL, type KeyRingEvent } from '@ampseal/keyring';

/**
 * The Prometheus registry of a process, and the adapters from the diagnostics channels to it: the key ring and
 * the transactional stream publish typed events and import no metrics library (style: @platformatic/kafka's
 * diagnostics); a service adds the adapter for its own channel (`MetricsAdapter`). Labels are tenants,
 * operations, reasons and outcomes: never an identifier, token or blind index.
 */
export { KEYRING_CHANNEL };

export interface Metrics {
  readonly registry: Registry;
  close(): void;
}

/** Subscribes a channel's metrics to the registry; returns the unsubscribe. */
export type MetricsAdapter = (registry: Registry) => () => void;

/** The transactional stream's channel: transaction time, consumer lag, paused while a dependency is down, failed. */
export const streamMetrics: MetricsAdapter = (registry) => {
  const txSeconds = new Histogram({ name: 'ampseal_transaction_seconds', help: 'Consume-to-commit time of one transaction', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const closed = new Counter({ name: 'ampseal_transactions_total', help: 'Transactions committed (at least once: chunks acknowledged and their offsets committed), by what closed them: size, time (the handling budget) or batch (the fetched batch ended)', labelNames: ['closed_by'], registers: [registry] });
  const lag = new Gauge({ name: 'ampseal_consumer_lag', help: 'Records behind the partition end', labelNames: ['topic', 'partition'], registers: [registry] });
  const paused = new Gauge({ name: 'ampseal_paused', help: '1 while a dependency is down and nothing is emitted', registers: [registry] });
  const failed = new Gauge({ name: 'ampseal_failed', help: '1 once the stream failed for good (the process is stopping to be restarted), by reason', labelNames: ['reason'], registers: [registry] });
  const onStream = (message: unknown) => {
    const e = message as StreamEvent;
    if (e.type === 'transaction') {
      txSeconds.observe(e.durationMs / 1000);
      closed.inc({ closed_by: e.closedBy });
    }
    else if (e.type === 'lag') lag.set({ topic: e.topic, partition: String(e.partition) }, e.lag);
    else if (e.type === 'failed') failed.set({ reason: e.reason }, 1);
    else paused.set(e.type === 'paused' ? 1 : 0);
  };
  subscribe(STREAM_CHANNEL, onStream);
  return () => unsubscribe(STREAM_CHANNEL, onStream);
};

/** The shredder's channel: one event per data-subject request answered (a receipt written). */
export const SUBJECT_REQUEST_CHANNEL = 'ampseal:subject-requests';

export interface SubjectRequestEvent {
  readonly action: 'erase' | 'restrict' | 'unrestrict';
  readonly status: 'done' | 'failed';
  /** The failed receipt's reason code (`bad_signature`, `bad_request`, `tenant_key_refused`, …). */
  readonly reason?: string;
  /** From the request's requestedAt to its receipt; absent when the request was not readable. */
  readonly ageSeconds?: number;
}

/**
 * Requests answered, by action, status and reason, and how long they waited for their receipt: the erasure
 * deadline (GDPR Art. 12(3): a month) is watched on the age, forged requests on `reason="bad_signature"`.
 */
export const subjectRequestMetrics: MetricsAdapter = (registry) => {
  const answered = new Counter({ name: 'ampseal_subject_requests_total', help: 'Data-subject requests answered with a receipt', labelNames: ['action', 'status', 'reason'], registers: [registry] });
  const age = new Histogram({
    name: 'ampseal_subject_request_age_seconds',
    help: 'Time from a request\'s requestedAt to its receipt',
    buckets: [1, 10, 60, 300, 900, 3_600, 21_600, 86_400, 259_200, 604_800, 2_592_000],
    registers: [registry],
  });
  const onRequest = (message: unknown) => {
    const e = message as SubjectRequestEvent;
    answered.inc({ action: e.action, status: e.status, reason: e.reason ?? '' });
    if (e.ageSeconds !== undefined && e.ageSeconds >= 0) age.observe(e.ageSeconds);
  };
  subscribe(SUBJECT_REQUEST_CHANNEL, onRequest);
  return () => unsubscribe(SUBJECT_REQUEST_CHANNEL, onRequest);
};

export function createMetrics(service: string, adapters: readonly MetricsAdapter[] = []): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const kmsCalls = new Counter({ name: 'ampseal_kms_calls_total', help: 'KMS API calls', labelNames: ['operation', 'outcome'], registers: [registry] });
  const redisRoundTrips = new Counter({ name: 'ampseal_redis_roundtrips_total', help: 'Redis round trips of the key ring', labelNames: ['outcome'], registers: [registry] });
  const redisSeconds = new Histogram({ name: 'ampseal_redis_roundtrip_seconds', help: 'Redis round-trip latency', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: [registry] });
  const cacheLookups = new Counter({ name: 'ampseal_key_cache_lookups_total', help: 'Key cache lookups', labelNames: ['result'], registers: [registry] });
  const keysCreated = new Counter({ name: 'ampseal_subject_keys_created_total', help: 'Subject keys created', registers: [registry] });

  const onKeyRing = (message: unknown) => {
    const event = message as KeyRingEvent;
    switch (event.type) {
      case 'kms':
        kmsCalls.inc({ operation: event.operation, outcome: event.ok ? 'ok' : 'error' });
        break;
      case 'redis':
        redisRoundTrips.inc({ outcome: event.ok ? 'ok' : 'error' });
        redisSeconds.observe(event.durationMs / 1000);
        break;
      case 'cache':
        if (event.hits) cacheLookups.inc({ result: 'hit' }, event.hits);
        if (event.misses) cacheLookups.inc({ result: 'miss' }, event.misses);
        break;
      case 'keys-created':
        keysCreated.inc(event.count);
        break;
    }
  };
  subscribe(KEYRING_CHANNEL, onKeyRing);
  const closers = adapters.map((adapter) => adapter(registry));
  return {
    registry,
    close: () => {
      unsubscribe(KEYRING_CHANNEL, onKeyRing);
      for (const close of closers) close();
    },
  };
}
