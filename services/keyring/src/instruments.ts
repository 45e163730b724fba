import { channel } from 'node:diagnostics_channel';
import type { KeyRingStats } from './keyring';

/**
 * Instrumentation (SPEC K27): typed events on the `ampseal:keyring` diagnostics channel plus plain counters.
 * The metrics adapter subscribes; nothing here imports a metrics library. Events carry tenants and counts,
 * never an identifier, key, blind index or token. Cache events are published per batch, not per lookup.
 */
export const KEYRING_CHANNEL = 'ampseal:keyring';

export type KeyRingEvent =
  | {
      readonly type: 'kms';
      readonly operation: 'GenerateDataKey' | 'Decrypt';
      readonly tenant: string;
      readonly durationMs: number;
      readonly ok: boolean;
    }
  | { readonly type: 'redis'; readonly commands: number; readonly durationMs: number; readonly ok: boolean }
  | { readonly type: 'cache'; readonly hits: number; readonly misses: number }
  | { readonly type: 'keys-created'; readonly tenant: string; readonly count: number };

const keyringChannel = channel(KEYRING_CHANNEL);

export class Instruments {
  kmsCalls = 0;
  redisRoundTrips = 0;
  cacheHits = 0;
  cacheMisses = 0;
  keysCreated = 0;

  kms(operation: 'GenerateDataKey' | 'Decrypt', tenant: string, durationMs: number, ok: boolean): void {
    this.kmsCalls++;
    if (keyringChannel.hasSubscribers) keyringChannel.publish({ type: 'kms', operation, tenant, durationMs, ok });
  }

  redis(commands: number, durationMs: number, ok: boolean): void {
    this.redisRoundTrips++;
    if (keyringChannel.hasSubscribers) keyringChannel.publish({ type: 'redis', commands, durationMs, ok });
  }

  cache(hits: number, misses: number): void {
    this.cacheHits += hits;
    this.cacheMisses += misses;
    if (keyringChannel.hasSubscribers && hits + misses > 0) keyringChannel.publish({ type: 'cache', hits, misses });
  }

  created(tenant: string, count: number): void {
    this.keysCreated += count;
    if (keyringChannel.hasSubscribers && count > 0) keyringChannel.publish({ type: 'keys-created', tenant, count });
  }

  snapshot(): KeyRingStats {
    return {
      kmsCalls: this.kmsCalls,
      redisRoundTrips: this.redisRoundTrips,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      keysCreated: this.keysCreated,
    };
  }
}
