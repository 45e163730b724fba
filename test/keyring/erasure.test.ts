import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, keyPrefix, keyRing, keysUnder, outcome, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);
const card = (value: string) => ({ kind: 'uid' as const, value });

describe('Redis key ring: erasure, restore safety, restriction (real Redis + local-kms)', () => {
  it('K15 K17 K21 erase: ERASED at or before erasedAt, a new token after, on a second instance too after evict', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await b.start();
    const old = await tokenOf(a, 'ERASE-ME', T0 - 60_000);
    expect(await tokenOf(b, 'ERASE-ME', T0 - 60_000)).toBe(old); // b caches it

    const receipt = await a.erase(ACME, [card('ERASE-ME')], { requestId: 'req-erase-1', erasedAt: T0 });
    expect(receipt).toMatchObject({ retiredTokens: [old], erased: 1, alreadyErased: 0 });
    expect(await outcome(a, 'ERASE-ME', T0 - 1)).toEqual({ status: 'ERASED' });
    expect(await outcome(a, 'ERASE-ME', T0)).toEqual({ status: 'ERASED' });
    const fresh = await tokenOf(a, 'ERASE-ME', T0 + 1);
    expect(fresh).not.toBe(old);

    // b still serves its cached token until it sees the receipt (the TTL bounds this, design §5)
    expect(await tokenOf(b, 'ERASE-ME', T0 + 1)).toBe(old);
    expect(b.evict(ACME, receipt.retiredTokens)).toBe(1);
    expect(await outcome(b, 'ERASE-ME', T0)).toEqual({ status: 'ERASED' });
    expect(await tokenOf(b, 'ERASE-ME', T0 + 1)).toBe(fresh);
    expect(await keysUnder(redis, `${prefix}{${ACME}}:s:*`)).toHaveLength(1);
  });

  it('K17 K18 a tombstoned subject unknown to an instance gets the next generation, one extra round trip at most', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const old = await tokenOf(a, 'NEXT-GEN', T0 - 1);
    await a.erase(ACME, [card('NEXT-GEN')], { requestId: 'req-next-gen', erasedAt: T0 });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await b.start();
    const before = b.stats().redisRoundTrips;
    const fresh = await tokenOf(b, 'NEXT-GEN', T0 + 1);
    expect(b.stats().redisRoundTrips - before).toBeLessThanOrEqual(2);
    expect(fresh).not.toBe(old);
    expect(await tokenOf(a, 'NEXT-GEN', T0 + 2)).toBe(fresh);
    const [record] = await keysUnder(redis, `${prefix}{${ACME}}:s:*`);
    expect(await redis.hget(record!, 'g')).toBe('2');
  });

  it('K20 a restored older snapshot never yields the old token again', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const old = await tokenOf(a, 'RESTORED', T0 - 1);
    const [recordKey] = await keysUnder(redis, `${prefix}{${ACME}}:s:*`);
    const backup = await redis.dumpBuffer(recordKey!); // the subject record as a backup holds it

    await a.erase(ACME, [card('RESTORED')], { requestId: 'req-restore', erasedAt: T0 });
    expect(await redis.exists(recordKey!)).toBe(0);
    await redis.restore(recordKey!, 0, backup, 'REPLACE'); // the restore puts the erased key back

    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await b.start();
    expect(await outcome(b, 'RESTORED', T0 - 1)).toEqual({ status: 'ERASED' });
    expect(await redis.exists(recordKey!)).toBe(0); // seen, recognised as stale, deleted
    expect(await b.currentTokens(ACME, [card('RESTORED')])).toEqual([{ token: null, restricted: false, erasedAt: T0 }]);

    await redis.restore(recordKey!, 0, backup, 'REPLACE'); // restored again, then a new event arrives
    const fresh = await tokenOf(b, 'RESTORED', T0 + 1);
    expect(fresh).not.toBe(old);
    expect(await redis.hget(recordKey!, 'g')).toBe('2');
    expect(await tokenOf(a, 'RESTORED', T0 + 5)).toBe(fresh);
    expect(await b.currentTokens(ACME, [card('RESTORED')])).toEqual([{ token: fresh, restricted: false, erasedAt: T0 }]);
  });

  it('K20 re-running an erasure after a full restore (tombstone lost too) re-applies it with the same receipt', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const old = await tokenOf(a, 'FULL-RESTORE', T0 - 1);
    const keysBefore = await keysUnder(redis, `${prefix}{${ACME}}:[st]:*`);
    const backup = await Promise.all(keysBefore.map(async (k) => [k, await redis.dumpBuffer(k)] as const));

    const receipt = await a.erase(ACME, [card('FULL-RESTORE')], { requestId: 'req-full', erasedAt: T0 });
    // full restore of the snapshot: record back, tombstone and erasure record gone
    await redis.del(...(await keysUnder(redis, `${prefix}{${ACME}}:[ste]:*`)));
    for (const [k, dump] of backup) await redis.restore(k, 0, dump!, 'REPLACE');

    const replayed = await a.erase(ACME, [card('FULL-RESTORE')], { requestId: 'req-full', erasedAt: T0 });
    expect(replayed).toEqual(receipt);
    expect(receipt.retiredTokens).toEqual([old]);
    a.evict(ACME, replayed.retiredTokens);
    expect(await outcome(a, 'FULL-RESTORE', T0)).toEqual({ status: 'ERASED' });
    expect(await tokenOf(a, 'FULL-RESTORE', T0 + 1)).not.toBe(old);
  });

  it('K16 erase is idempotent by request id: same result, tombstone unchanged, a key created since survives', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await b.start();
    await tokenOf(a, 'IDEMPOTENT', T0 - 1);
    const subjects = [card('IDEMPOTENT'), card('NEVER-SEEN')];
    // the same request delivered twice at once, to two shredder instances
    const [first, concurrent] = await Promise.all([
      a.erase(ACME, subjects, { requestId: 'req-idem', erasedAt: T0 }),
      b.erase(ACME, subjects, { requestId: 'req-idem', erasedAt: T0 }),
    ]);
    expect(concurrent).toEqual(first);
    expect(first).toMatchObject({ erased: 2, alreadyErased: 0 });
    expect(first.retiredTokens).toHaveLength(1);

    const tombstones = await keysUnder(redis, `${prefix}{${ACME}}:t:*`);
    const before = await Promise.all(tombstones.map((k) => redis.hgetall(k)));
    const fresh = await tokenOf(a, 'IDEMPOTENT', T0 + 1);

    const again = await b.erase(ACME, subjects, { requestId: 'req-idem', erasedAt: T0 + 10_000 });
    expect(again).toEqual(first);
    expect(await Promise.all(tombstones.map((k) => redis.hgetall(k)))).toEqual(before);
    expect(await tokenOf(a, 'IDEMPOTENT', T0 + 2)).toBe(fresh);
    expect(await tokenOf(b, 'IDEMPOTENT', T0 + 2)).toBe(fresh);
    expect(await redis.get(`${prefix}{${ACME}}:e:req-idem`)).toBe(JSON.stringify(first));
  });

  it('K22 restriction is shared across instances, keeps the key, and lifting it restores the same token', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const token = await tokenOf(a, 'RESTRICT-ME');
    expect(await a.restrict(ACME, [card('RESTRICT-ME'), card('RESTRICT-NEW')], true)).toBe(2);
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await b.start();
    expect(await outcome(b, 'RESTRICT-ME')).toEqual({ status: 'RESTRICTED' });
    expect(await outcome(b, 'RESTRICT-NEW')).toEqual({ status: 'RESTRICTED' });
    expect(await b.currentTokens(ACME, [card('RESTRICT-ME')])).toEqual([{ token, restricted: true, erasedAt: null }]);
    expect(await a.restrict(ACME, [card('RESTRICT-ME')], false)).toBe(1);
    expect(await tokenOf(a, 'RESTRICT-ME')).toBe(token);
  });

  it('K23 currentTokens answers access requests without creating keys', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const token = await tokenOf(a, 'ACCESS');
    const other = keyRing(resources, prefix, { tenants: [ACME] });
    await other.start();
    expect(await other.currentTokens(ACME, [card('ACCESS'), card('ACCESS-UNKNOWN')])).toEqual([
      { token, restricted: false, erasedAt: null },
      { token: null, restricted: false, erasedAt: null },
    ]);
    expect(await keysUnder(redis, `${prefix}{${ACME}}:s:*`)).toHaveLength(1);
  });
});
