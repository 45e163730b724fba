import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus registry of a process, and the adapter for the key ring's diagnostics channel: the key
 * ring publishes typed events and imports no metrics library (style: @platformatic/kafka's diagnostics).
 * Labels are tenants, operations and outcomes: never an identifier, token or blind index.
 */
export const KEYRING_CHANNEL = 'ampseal:keyring';

type KeyRingEvent =
  | { type: 'kms'; operation: string; tenant: string; durationMs: number; ok: boolean }
  | { type: 'redis'; commands: number; durationMs: number; ok: boolean }
  | { type: 'cache'; hits: number; misses: number }
  | { type: 'keys-created'; tenant: string; count: number };

export interface Metrics {
  readonly registry: Registry;
  close(): void;
}

export function createMetrics(service: string): Metrics {
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
  return {
    registry,
    close: () => {
      unsubscribe(KEYRING_CHANNEL, onKeyRing);
    },
  };
}
