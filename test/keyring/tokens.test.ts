import { AmpsealError } from '@ampseal/core';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, VOLTWAY, keyPrefix, keyRing, keysUnder, req, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);

describe('Redis key ring: creation, batching, layout (real Redis + local-kms)', () => {
  it('K3 two instances starting at once on a new tenant share one key set', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await Promise.all([a.start(), b.start()]);
    expect(await keysUnder(redis, `${prefix}*`)).toEqual([`${prefix}{${ACME}}:keyset`]);
    expect(await tokenOf(a, 'SHARED-KEYSET')).toBe(await tokenOf(b, 'SHARED-KEYSET'));
  });

  it('K12 two instances creating the same new subjects concurrently end with one key each and the same tokens', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await b.start();
    const values = Array.from({ length: 50 }, (_, i) => `RACE-${i}`);
    for (let round = 0; round < 5; round++) {
      const batch = values.slice(round * 10, round * 10 + 10).map((v) => req(v));
      const [fromA, fromB] = await Promise.all([a.tokens(batch), b.tokens([...batch].reverse())]);
      expect(fromA).toEqual([...fromB].reverse());
      expect(fromA.every((o) => o.status === 'TOKENIZED')).toBe(true);
    }
    expect(await keysUnder(redis, `${prefix}{${ACME}}:s:*`)).toHaveLength(50);
    expect(a.stats().keysCreated + b.stats().keysCreated).toBe(50);
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

  it('K5 zero KMS calls per event after warm-up: the counter stays flat over 1,000 lookups', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix);
    await ring.start();
    await tokenOf(ring, 'WARM-UP'); // first use: the key set is created (GenerateDataKey ×2)
    const warm = ring.stats().kmsCalls;
    expect(warm).toBeGreaterThan(0);
    expect(warm).toBeLessThanOrEqual(4);
    for (let b = 0; b < 10; b++) {
      // half repeat drivers, half new cards per batch
      await ring.tokens(Array.from({ length: 100 }, (_, i) => req(i % 2 === 0 ? `REPEAT-${i % 20}` : `NEW-${b}-${i}`)));
    }
    expect(ring.stats().kmsCalls).toBe(warm);
    expect(ring.stats().keysCreated).toBe(1 + 10 + 500);
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

describe('Redis key ring: link tokens and learned private sites (K33–K36)', () => {
  it('K34 two instances give an operational id the same link token, with no Redis round trip per id', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await Promise.all([a.start(), b.start()]);
    const [la, lb] = await Promise.all([a.links(ACME), b.links(ACME)]);
    const before = a.stats().redisRoundTrips;
    const tokens = Array.from({ length: 100 }, (_, i) => la.token('transaction', `04A2B3C4-${i}`, false));
    expect(a.stats().redisRoundTrips).toBe(before);
    expect(tokens.map((_, i) => lb.token('transaction', `04A2B3C4-${i}`, false))).toEqual(tokens);
    expect(new Set(tokens).size).toBe(100);
  });

  it('K35 K36 a site learned by one instance is stored as a keyed hash and applies on another after its refresh', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME], siteRefreshMs: 1 });
    await Promise.all([a.start(), b.start()]);
    expect((await b.links(ACME)).isPrivate('garage-de-vries')).toBe(false);
    await a.learnPrivateSites(ACME, ['garage-de-vries', 'LOC-HOME-17']);
    expect((await a.links(ACME)).isPrivate('garage-de-vries')).toBe(true);
    // b re-reads the set after its refresh period (1 ms here).
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await b.links(ACME)).isPrivate('LOC-HOME-17')).toBe(true);
    const members = await redis.smembers(`${prefix}{${ACME}}:sites`);
    expect(members).toHaveLength(2);
    expect(members.join(' ')).not.toMatch(/garage|de-vries|LOC-HOME/i);
    // A third instance started later (a restart) knows both at once.
    const c = keyRing(resources, prefix, { tenants: [ACME] });
    await c.start();
    expect((await c.links(ACME)).isPrivate('garage-de-vries')).toBe(true);
  });
});
