import { randomBytes } from 'node:crypto';
import type { TombstoneRecord } from '@ampseal/keyring';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, VOLTWAY, keyPrefix, keyRing, keysUnder, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);
const card = (value: string) => ({ kind: 'uid' as const, value });

/** The Redis side of the journal: layout and round trips. The journal's semantics are in the conformance suite. */
describe('Redis key ring: tombstone journal (K24, K29, K31; real Redis + local-kms)', () => {
  it('K24 K29 the tombstones are hashes under t:<blind index> and the result, with its records, JSON under e:<request id>', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await tokenOf(a, 'J-LIVE', T0 - 1);
    const result = await a.erase(ACME, [card('J-LIVE'), card('J-NEVER')], { requestId: 'req-journal', erasedAt: T0 });
    for (const t of result.tombstones) {
      expect(await redis.hgetall(`${prefix}{${ACME}}:t:${t.blindIndex}`)).toEqual({
        g: String(t.generation),
        at: String(t.erasedAt),
        req: t.requestId,
      });
    }
    expect(await redis.get(`${prefix}{${ACME}}:e:req-journal`)).toBe(JSON.stringify(result));
  });

  it('K31 one round trip per 500 records, one script per tenant, no KMS call', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix); // no tenant key set needed to apply tombstones
    await a.start();
    const journal: TombstoneRecord[] = Array.from({ length: 1001 }, (_, i) => ({
      tenant: i % 2 === 0 ? ACME : VOLTWAY,
      blindIndex: randomBytes(32).toString('base64url'),
      generation: i % 3,
      erasedAt: T0 + i,
      requestId: `req-bulk-${i}`,
    }));
    const before = a.stats();
    expect(await a.applyTombstones(journal)).toEqual({ applied: 1001, keysDeleted: 0 });
    const after = a.stats();
    expect(after.redisRoundTrips - before.redisRoundTrips).toBe(3);
    expect(after.kmsCalls).toBe(before.kmsCalls);
    expect(await keysUnder(redis, `${prefix}{${ACME}}:t:*`)).toHaveLength(501);
    expect(await keysUnder(redis, `${prefix}{${VOLTWAY}}:t:*`)).toHaveLength(500);
    expect(await a.applyTombstones(journal)).toEqual({ applied: 0, keysDeleted: 0 });
  });
});
