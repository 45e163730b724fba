import { AmpsealError } from '@ampseal/core';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, VOLTWAY, keyPrefix, keyRing, keysUnder, req, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);

/**
 * What only the Redis key ring has: one key set stored (K3), round trips (K13), the layout (K24, K25), failures
 * (K6, K26). What both stores must do is in the conformance suite (conformance.test.ts).
 */
describe('Redis key ring: creation, batching, layout (real Redis + local-kms)', () => {
  it('K3 two instances starting at once on a new tenant share one key set', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await Promise.all([a.start(), b.start()]);
    expect(await keysUnder(redis, `${prefix}*`)).toEqual([`${prefix}{${ACME}}:keyset`]);
    expect(await tokenOf(a, 'SHARED-KEYSET')).toBe(await tokenOf(b, 'SHARED-KEYSET'));
  });

  it('K13 a batch of N new subjects costs one Redis round trip (two tenants, 1,200 subjects); hits cost none', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME, VOLTWAY] });
    await ring.start();
    const batch = Array.from({ length: 1200 }, (_, i) => req(`BATCH-${i}`, T0, 'uid', i % 2 === 0 ? ACME : VOLTWAY));
    const before = ring.stats();
    const outcomes = await ring.tokens(batch);
    const after = ring.stats();
    expect(outcomes.every((o) => o.status === 'TOKENIZED')).toBe(true);
    expect(after.redisRoundTrips - before.redisRoundTrips).toBe(1);
    expect(after.keysCreated - before.keysCreated).toBe(1200);
    expect(after.kmsCalls).toBe(before.kmsCalls);

    await ring.tokens(batch);
    expect(ring.stats().redisRoundTrips).toBe(after.redisRoundTrips);
    expect(ring.stats().cacheHits - after.cacheHits).toBe(1200);
  });

  it('K13 a batch of known subjects that missed the cache costs one round trip and creates nothing', async () => {
    const prefix = keyPrefix(resources, redis);
    const writer = keyRing(resources, prefix, { tenants: [ACME] });
    const reader = keyRing(resources, prefix, { tenants: [ACME] });
    await writer.start();
    await reader.start();
    const batch = Array.from({ length: 300 }, (_, i) => req(`KNOWN-${i}`));
    const written = await writer.tokens(batch);
    const before = reader.stats();
    expect(await reader.tokens(batch)).toEqual(written);
    expect(reader.stats().redisRoundTrips - before.redisRoundTrips).toBe(1);
    expect(reader.stats().keysCreated).toBe(0);
  });

  it('K13 K18 a tombstoned subject unknown to an instance costs at most one extra round trip', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await tokenOf(a, 'NEXT-GEN', T0 - 1);
    await a.erase(ACME, [{ kind: 'uid', value: 'NEXT-GEN' }], { requestId: 'req-next-gen', erasedAt: T0 });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await b.start();
    const before = b.stats().redisRoundTrips;
    await tokenOf(b, 'NEXT-GEN', T0 + 1); // guesses generation 1, is refused, retries with 2 (K18)
    expect(b.stats().redisRoundTrips - before).toBe(2);
    const [record] = await keysUnder(redis, `${prefix}{${ACME}}:s:*`);
    expect(await redis.hget(record!, 'g')).toBe('2');
  });

  it('K5 K1 the first use of a tenant costs at most four KMS calls (create the key set, or read and unwrap it)', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix);
    await ring.start();
    await tokenOf(ring, 'WARM-UP'); // first use: the key set is created (GenerateDataKey ×2)
    expect(ring.stats().kmsCalls).toBeGreaterThan(0);
    expect(ring.stats().kmsCalls).toBeLessThanOrEqual(4);
    const other = keyRing(resources, prefix);
    await other.start();
    await tokenOf(other, 'WARM-UP'); // a second instance reads and unwraps it (Decrypt ×2)
    expect(other.stats().kmsCalls).toBe(2);
  });

  it('K24 K25 every key sits under the {tenant} hash tag; Redis holds no clear identifier and no plaintext key', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix);
    await ring.start();
    const card = 'LAYOUT-04A2B3C4D5E6F7';
    await ring.tokens([req(card), req(card, T0, 'uid', VOLTWAY)]);
    await ring.erase(ACME, [{ kind: 'uid', value: card }], { requestId: 'layout-erasure', erasedAt: T0 });
    await tokenOf(ring, card, T0 + 1);

    const keys = await keysUnder(redis, `${prefix}*`);
    const pattern = new RegExp(
      `^${prefix.replace(/[.]/g, '\\.')}\\{(${ACME}|${VOLTWAY})\\}:(keyset|[st]:[A-Za-z0-9_-]{43}|e:layout-erasure)$`,
    );
    for (const key of keys) expect(key).toMatch(pattern);
    expect(keys.filter((k) => k.includes(':keyset'))).toHaveLength(2);

    const dump: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      dump.push(key, ...(type === 'hash' ? Object.entries(await redis.hgetall(key)).flat() : [(await redis.get(key)) ?? '']));
    }
    expect(dump.join('\n')).not.toContain(card);
    expect(dump.join('\n').toUpperCase()).not.toContain('04A2B3C4D5E6F7');

    const record = await redis.hgetall(keys.find((k) => k.includes(`{${ACME}}:s:`))!);
    expect(Object.keys(record).sort()).toEqual(['g', 'k', 'r']);
    expect(Buffer.from(record.k!, 'base64')).toHaveLength(12 + 32 + 16);
    const tombstone = await redis.hgetall(keys.find((k) => k.includes(`{${ACME}}:t:`))!);
    expect(tombstone).toEqual({ g: '1', at: String(T0), req: 'layout-erasure' });
  });

  it('K26 Redis unreachable fails closed with a retriable KEYRING_UNAVAILABLE', async () => {
    const ring = keyRing(resources, 'unused:', { redisUrl: 'redis://127.0.0.1:1' });
    const err = await ring.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmpsealError);
    expect(err).toMatchObject({ code: 'AMPSEAL_ERR_KEYRING_UNAVAILABLE', retriable: true });
    const again = await ring.tokens([req('DOWN-REDIS-CARD')]).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'AMPSEAL_ERR_KEYRING_UNAVAILABLE', retriable: true });
    expect(String((again as Error).message)).not.toContain('DOWN-REDIS-CARD');
  });

  it('K6 KMS unreachable fails closed with a retriable KMS_UNAVAILABLE', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { kmsEndpoint: 'http://127.0.0.1:1' });
    await ring.start();
    const err = await ring.tokens([req('DOWN-KMS-CARD')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmpsealError);
    expect(err).toMatchObject({ code: 'AMPSEAL_ERR_KMS_UNAVAILABLE', retriable: true });
    expect(await keysUnder(redis, `${prefix}*`)).toEqual([]);
  });
});
