import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { TombstoneRecord } from '@ampseal/keyring';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, VOLTWAY, keyPrefix, keyRing, keysUnder, outcome, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);
const card = (value: string) => ({ kind: 'uid' as const, value });

/** A backup of everything under the test's prefix, as DUMP payloads (what an RDB/AOF restore gives back). */
async function snapshot(prefix: string): Promise<Array<readonly [string, Buffer]>> {
  const keys = await keysUnder(redis, `${prefix}*`);
  return Promise.all(keys.map(async (k) => [k, await redis.dumpBuffer(k)] as const));
}

/** Restores a backup the way a Redis restore does: whatever was written since is gone. */
async function restore(prefix: string, backup: ReadonlyArray<readonly [string, Buffer]>): Promise<void> {
  const keys = await keysUnder(redis, `${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  for (const [k, dump] of backup) await redis.restore(k, 0, dump, 'REPLACE');
}

/** Every key under the prefix with its content, to show that nothing changed. */
async function contents(client: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of await keysUnder(client, `${prefix}*`)) {
    out[k] = (await client.type(k)) === 'hash' ? await client.hgetall(k) : await client.get(k);
  }
  return out;
}

describe('Redis key ring: tombstone journal and restore (K29–K32; real Redis + local-kms)', () => {
  it('K29 erase returns one tombstone record per subject, exactly as Redis holds it; a repeat returns the same list', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await tokenOf(a, 'J-LIVE', T0 - 1);
    const result = await a.erase(ACME, [card('J-LIVE'), card('J-NEVER')], { requestId: 'req-journal', erasedAt: T0 });
    expect(result.tombstones.map(({ tenant, generation, erasedAt, requestId }) => [tenant, generation, erasedAt, requestId])).toEqual([
      [ACME, 1, T0, 'req-journal'],
      [ACME, 0, T0, 'req-journal'],
    ]);
    for (const t of result.tombstones) {
      expect(await redis.hgetall(`${prefix}{${ACME}}:t:${t.blindIndex}`)).toEqual({
        g: String(t.generation),
        at: String(t.erasedAt),
        req: t.requestId,
      });
    }
    expect(await redis.get(`${prefix}{${ACME}}:e:req-journal`)).toBe(JSON.stringify(result));

    // K16: the same request on another instance, after a later erasure moved the tombstone on: the same list
    await tokenOf(a, 'J-LIVE', T0 + 1);
    await a.erase(ACME, [card('J-LIVE')], { requestId: 'req-journal-2', erasedAt: T0 + 5 });
    const b = keyRing(resources, prefix, { tenants: [ACME] });
    await b.start();
    expect(await b.erase(ACME, [card('J-LIVE'), card('J-NEVER')], { requestId: 'req-journal', erasedAt: T0 + 9 })).toEqual(result);
  });

  it('K31 K32 restoring an older snapshot brings the erased key back; re-applying the journal erases it again', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    const t1 = await tokenOf(a, 'J-RESTORE', T0 - 60_000);
    const backup = await snapshot(prefix); // key set + the subject record; no tombstone yet
    const [recordKey] = await keysUnder(redis, `${prefix}{${ACME}}:s:*`);

    const { tombstones: journal } = await a.erase(ACME, [card('J-RESTORE')], { requestId: 'req-j-restore', erasedAt: T0 });
    expect(journal).toHaveLength(1);
    await restore(prefix, backup);
    expect(await keysUnder(redis, `${prefix}{${ACME}}:t:*`)).toEqual([]);

    // The bug the journal fixes: the snapshot holds neither the tombstone nor the deletion, so the erased key
    // is back and serves the old pseudonym, for events after erasedAt and for replayed ones alike.
    expect(await tokenOf(a, 'J-RESTORE', T0 + 1)).toBe(t1);
    expect(await tokenOf(a, 'J-RESTORE', T0)).toBe(t1);

    expect(await a.applyTombstones(journal)).toEqual({ applied: 1, keysDeleted: 1 });
    expect(await redis.exists(recordKey!)).toBe(0); // the old record is gone
    expect(await redis.hgetall(`${prefix}{${ACME}}:t:${journal[0]!.blindIndex}`)).toEqual({
      g: '1',
      at: String(T0),
      req: 'req-j-restore',
    });
    // this instance's cached T1 was evicted by applyTombstones: no TTL wait
    expect(await outcome(a, 'J-RESTORE', T0 - 60_000)).toEqual({ status: 'ERASED' });
    expect(await outcome(a, 'J-RESTORE', T0)).toEqual({ status: 'ERASED' });
    const fresh = await tokenOf(a, 'J-RESTORE', T0 + 1);
    expect(fresh).not.toBe(t1);
    expect(await redis.hget(recordKey!, 'g')).toBe('2');

    const b = keyRing(resources, prefix, { tenants: [ACME] }); // an instance started after the runbook
    await b.start();
    expect(await outcome(b, 'J-RESTORE', T0)).toEqual({ status: 'ERASED' });
    expect(await tokenOf(b, 'J-RESTORE', T0 + 2)).toBe(fresh);
  });

  it('K31 applying the same journal twice changes nothing', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await tokenOf(a, 'J-TWICE', T0 - 1);
    const backup = await snapshot(prefix);
    const { tombstones: journal } = await a.erase(ACME, [card('J-TWICE'), card('J-TWICE-NEVER')], {
      requestId: 'req-j-twice',
      erasedAt: T0,
    });
    await restore(prefix, backup);
    expect(await a.applyTombstones(journal)).toEqual({ applied: 2, keysDeleted: 1 });
    const fresh = await tokenOf(a, 'J-TWICE', T0 + 1);
    const state = await contents(redis, prefix);

    expect(await a.applyTombstones(journal)).toEqual({ applied: 0, keysDeleted: 0 });
    expect(await a.applyTombstones([...journal, ...journal])).toEqual({ applied: 0, keysDeleted: 0 });
    expect(await contents(redis, prefix)).toEqual(state);
    expect(await tokenOf(a, 'J-TWICE', T0 + 2)).toBe(fresh); // the new generation survives
  });

  it('K31 an older tombstone never overwrites a newer one, in any order', async () => {
    const prefix = keyPrefix(resources, redis);
    const a = keyRing(resources, prefix, { tenants: [ACME] });
    await a.start();
    await tokenOf(a, 'J-ORDER', T0 - 1);
    const backup = await snapshot(prefix);
    const [older] = (await a.erase(ACME, [card('J-ORDER')], { requestId: 'req-old', erasedAt: T0 })).tombstones;
    const g2 = await tokenOf(a, 'J-ORDER', T0 + 10);
    const [newer] = (await a.erase(ACME, [card('J-ORDER')], { requestId: 'req-new', erasedAt: T0 + 20 })).tombstones;
    expect([older!.generation, newer!.generation]).toEqual([1, 2]);
    const g3 = await tokenOf(a, 'J-ORDER', T0 + 30);
    const tombKey = `${prefix}{${ACME}}:t:${newer!.blindIndex}`;
    const recordKey = `${prefix}{${ACME}}:s:${newer!.blindIndex}`;
    const newest = { g: '2', at: String(T0 + 20), req: 'req-new' };

    // live: the older record changes neither the tombstone nor the generation-3 key
    expect(await a.applyTombstones([older!])).toEqual({ applied: 0, keysDeleted: 0 });
    expect(await redis.hgetall(tombKey)).toEqual(newest);
    expect(await redis.hget(recordKey, 'g')).toBe('3');
    expect(await tokenOf(a, 'J-ORDER', T0 + 31)).toBe(g3);
    // same generation, earlier erasedAt: older, not applied
    expect(await a.applyTombstones([{ ...newer!, erasedAt: T0 + 15, requestId: 'req-earlier' }])).toEqual({ applied: 0, keysDeleted: 0 });
    expect(await redis.hgetall(tombKey)).toEqual(newest);

    // after a restore, the journal in either order ends at the newest tombstone
    for (const journal of [
      [newer!, older!],
      [older!, newer!],
    ]) {
      await restore(prefix, backup);
      expect(await a.applyTombstones(journal)).toEqual({ applied: journal[0] === newer ? 1 : 2, keysDeleted: 1 });
      expect(await redis.hgetall(tombKey)).toEqual(newest);
      expect(await outcome(a, 'J-ORDER', T0 + 20)).toEqual({ status: 'ERASED' });
      const next = await tokenOf(a, 'J-ORDER', T0 + 21);
      expect([g2, g3]).not.toContain(next);
      expect(await redis.hget(recordKey, 'g')).toBe('3');
    }
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
