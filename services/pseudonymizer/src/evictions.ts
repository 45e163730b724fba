import { channel } from 'node:diagnostics_channel';
import { isSubjectReceipt, parseReceipt } from '@ampseal/core';
import type { ConsumedRecord } from '@ampseal/kafka';
import type { Logger } from '@ampseal/service-kit';

export const EVICTION_CHANNEL = 'ampseal:evictions';

export interface EvictionEvent {
  readonly instance: string;
  readonly requestId: string;
  readonly tenant: string;
  readonly evicted: number;
  /** Epoch ms when this instance dropped the subject from its caches. */
  readonly at: number;
}

const events = channel(EVICTION_CHANNEL);

/**
 * What holds this instance's key caches: the key ring (in-thread), or the handler threads, each with its own, which
 * resolve once every thread has dropped the tokens.
 */
export interface Evictor {
  evict(tenant: string, tokens: readonly string[]): number | Promise<number>;
}

/**
 * On every erasure/restriction receipt, drop the named tokens from this instance's key cache (design §5):
 * the next event of the subject goes to Redis, sees the tombstone or flag, and never gets the old token.
 * Idempotent, so at-least-once delivery is enough; an instance that misses a receipt is bounded by the TTL.
 * The eviction event (and its time) is published once every cache has dropped them.
 */
export function evictOnReceipt(instance: string, keyring: Evictor, logger: Logger): (record: ConsumedRecord) => void | Promise<void> {
  return (record) => {
    const parsed = parseReceipt(record.value?.toString('utf8') ?? '');
    if (!parsed.ok) {
      logger.warn({ topic: record.topic, offset: record.offset, problem: parsed.problem }, 'unreadable receipt skipped');
      return;
    }
    const receipt = parsed.value;
    // Expired epochs destroyed: nothing to evict (an expired epoch is EXPIRED by its time, cached secret or not: K46).
    if (!isSubjectReceipt(receipt) || receipt.status !== 'done') return;
    const tokens = [...(receipt.retiredTokens ?? []), ...(receipt.affectedTokens ?? [])];
    const done = (evicted: number): void => {
      const event: EvictionEvent = { instance, requestId: receipt.requestId, tenant: receipt.tenant, evicted, at: Date.now() };
      if (events.hasSubscribers) events.publish(event);
      logger.info({ event: 'receipt.evicted', requestId: receipt.requestId, action: receipt.action, evicted }, 'caches evicted');
    };
    // In-thread the eviction is synchronous and stays so (nothing is handled between the receipt and the drop).
    const evicting = tokens.length > 0 ? keyring.evict(receipt.tenant, tokens) : 0;
    if (typeof evicting === 'number') return done(evicting);
    return evicting.then(done);
  };
}
