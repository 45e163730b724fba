import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { AmpsealError, type IdentifierKind, type TokenRequest } from '@ampseal/core';
import { KEYRING_CHANNEL } from './instruments';
import type { TombstoneRecord } from './keyring';
import { createMemoryKeyRing, type MemoryKeyRing } from './memory';

const T0 = Date.parse('2026-11-24T10:00:00Z');

function req(value: string, at = T0, kind: IdentifierKind = 'uid', tenant = 'acme-cpo'): TokenRequest {
  return { subject: { tenant, kind, value }, at };
}

async function tokenOf(ring: MemoryKeyRing, value: string, at = T0, kind: IdentifierKind = 'uid', tenant = 'acme-cpo') {
  const [outcome] = await ring.tokens([req(value, at, kind, tenant)]);
  return outcome!;
}

function tomb(blindIndex: string, generation: number, erasedAt: number, requestId: string, tenant = 'acme-cpo'): TombstoneRecord {
  return { tenant, blindIndex, generation, erasedAt, requestId };
}

function tokenized(outcome: { status: string; token?: string }): string {
  expect(outcome.status).toBe('TOKENIZED');
  return outcome.token!;
}

describe('memory key ring', () => {
  let now = T0;
  let ring: MemoryKeyRing;
  beforeEach(async () => {
    now = T0 + 60_000;
    ring = createMemoryKeyRing({ cacheSize: 1000, cacheTtlMs: 60_000, clock: () => now });
    await ring.start();
  });
  afterEach(() => ring.stop());

  it('K10 same subject → same token, within and across batches', async () => {
    const [a, b] = await ring.tokens([req('04A2B3C4'), req('04A2B3C4')]);
    const c = await tokenOf(ring, '04A2B3C4');
    expect(tokenized(a!)).toBe(tokenized(b!));
    expect(tokenized(c)).toBe(tokenized(a!));
  });

  it('K10 different kind, value or tenant → different token', async () => {
    const uid = tokenized(await tokenOf(ring, 'X1'));
    expect(tokenized(await tokenOf(ring, 'X1', T0, 'group'))).not.toBe(uid);
    expect(tokenized(await tokenOf(ring, 'X2'))).not.toBe(uid);
    expect(tokenized(await tokenOf(ring, 'X1', T0, 'uid', 'voltway-cpo'))).not.toBe(uid);
  });

  it('K10 property: tokens are stable per subject and distinct across subjects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 20 }), async (values) => {
        const first = await ring.tokens(values.map((v) => req(v)));
        const again = await ring.tokens([...values].reverse().map((v) => req(v)));
        const tokens = first.map((o) => tokenized(o));
        expect(again.map((o) => tokenized(o)).reverse()).toEqual(tokens);
        expect(new Set(tokens).size).toBe(values.length);
      }),
      { numRuns: 30 },
    );
  });

  it('K5 K7 K14 a batch creates each new subject once; repeats are cache hits; no KMS in memory mode', async () => {
    await ring.tokens([req('A'), req('B'), req('A'), req('C')]);
    expect(ring.stats()).toMatchObject({ keysCreated: 3, cacheMisses: 4, cacheHits: 0, kmsCalls: 0, redisRoundTrips: 0 });
    await ring.tokens([req('A'), req('B'), req('C')]);
    expect(ring.stats()).toMatchObject({ keysCreated: 3, cacheHits: 3 });
  });

  it('K14 entries expire after the TTL and the stored key gives the same token again', async () => {
    const before = tokenized(await tokenOf(ring, 'TTL'));
    now += 60_001;
    const misses = ring.stats().cacheMisses;
    expect(tokenized(await tokenOf(ring, 'TTL'))).toBe(before);
    expect(ring.stats().cacheMisses).toBe(misses + 1);
    expect(ring.stats().keysCreated).toBe(1);
  });

  it('K15 K17 erase: ERASED at or before erasedAt, a new unlinkable token after', async () => {
    const old = tokenized(await tokenOf(ring, 'CARD', T0 - 1000));
    const erasedAt = T0;
    const result = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'CARD' }], { requestId: 'r-1', erasedAt });
    expect(result).toMatchObject({ retiredTokens: [old], erased: 1, alreadyErased: 0 });

    const [before, exactly, after] = await ring.tokens([req('CARD', T0 - 1), req('CARD', T0), req('CARD', T0 + 1)]);
    expect(before).toEqual({ status: 'ERASED' });
    expect(exactly).toEqual({ status: 'ERASED' });
    const fresh = tokenized(after!);
    expect(fresh).not.toBe(old);
    // and stable from then on, while old events stay erased
    expect(tokenized(await tokenOf(ring, 'CARD', T0 + 5000))).toBe(fresh);
    expect(await tokenOf(ring, 'CARD', T0 - 5000)).toEqual({ status: 'ERASED' });
  });

  it('K17 replayed old events of an erased subject never mint a key and are served from the cache', async () => {
    await tokenOf(ring, 'REPLAY', T0 - 10);
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'REPLAY' }], { requestId: 'r-replay', erasedAt: T0 });
    const created = ring.stats().keysCreated;
    for (let i = 0; i < 5; i++) expect(await tokenOf(ring, 'REPLAY', T0 - i)).toEqual({ status: 'ERASED' });
    expect(ring.stats().keysCreated).toBe(created);
    expect(ring.stats().cacheHits).toBeGreaterThanOrEqual(4);
  });

  it('K17 an event with no valid time is ERASED for an erased subject (fail safe), tokenized otherwise', async () => {
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'NOTIME' }], { requestId: 'r-nan', erasedAt: T0 });
    expect(await tokenOf(ring, 'NOTIME', Number.NaN)).toEqual({ status: 'ERASED' });
    expect((await tokenOf(ring, 'OTHER', Number.NaN)).status).toBe('TOKENIZED');
  });

  it('K19 erasing a subject never seen tombstones it; a second erasure extends erasedAt, generations rise', async () => {
    const first = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'NEVER' }], { requestId: 'r-a', erasedAt: T0 });
    const bi = first.tombstones[0]!.blindIndex;
    expect(first).toEqual({ retiredTokens: [], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 0, T0, 'r-a')] });
    expect(await tokenOf(ring, 'NEVER', T0 - 1)).toEqual({ status: 'ERASED' });
    const g1 = tokenized(await tokenOf(ring, 'NEVER', T0 + 10));

    const again = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'NEVER' }], { requestId: 'r-b', erasedAt: T0 + 20 });
    expect(again).toEqual({ retiredTokens: [g1], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 1, T0 + 20, 'r-b')] });
    expect(await tokenOf(ring, 'NEVER', T0 + 10)).toEqual({ status: 'ERASED' });
    const g2 = tokenized(await tokenOf(ring, 'NEVER', T0 + 30));
    expect(g2).not.toBe(g1);

    const third = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'NEVER' }, { kind: 'uid', value: 'NEVER' }], {
      requestId: 'r-c',
      erasedAt: T0 + 40,
    });
    expect(third).toEqual({ retiredTokens: [g2], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 2, T0 + 40, 'r-c')] });
    const fourth = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'NEVER' }], { requestId: 'r-d', erasedAt: T0 + 35 });
    // K29: the tombstone as written: generation kept, erasedAt not shortened, the new request id
    expect(fourth).toEqual({ retiredTokens: [], erased: 0, alreadyErased: 1, tombstones: [tomb(bi, 2, T0 + 40, 'r-d')] });
    // the earlier erasedAt of r-d did not shorten the tombstone
    expect(await tokenOf(ring, 'NEVER', T0 + 38)).toEqual({ status: 'ERASED' });
  });

  it('K16 erase is idempotent per request id: same result, nothing changed, not even a key created since', async () => {
    const old = tokenized(await tokenOf(ring, 'IDEM', T0 - 1));
    const first = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'IDEM' }], { requestId: 'r-idem', erasedAt: T0 });
    const fresh = tokenized(await tokenOf(ring, 'IDEM', T0 + 1));
    const second = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'IDEM' }], { requestId: 'r-idem', erasedAt: T0 + 999 });
    expect(second).toEqual(first);
    expect(first.retiredTokens).toEqual([old]);
    expect(tokenized(await tokenOf(ring, 'IDEM', T0 + 2))).toBe(fresh);
    expect(await tokenOf(ring, 'IDEM', T0 + 500)).toEqual({ status: 'TOKENIZED', token: fresh });
  });

  it('K20 a restored snapshot with the erased record never yields the old token again', async () => {
    const old = tokenized(await tokenOf(ring, 'RESTORE', T0 - 1));
    const backup = ring.store.snapshotRecords();
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'RESTORE' }], { requestId: 'r-restore', erasedAt: T0 });
    ring.store.restoreRecords(backup);
    now += 120_000; // past the TTL: nothing cached, the store decides
    expect(await tokenOf(ring, 'RESTORE', T0 - 1)).toEqual({ status: 'ERASED' });
    const after = tokenized(await tokenOf(ring, 'RESTORE', T0 + 1));
    expect(after).not.toBe(old);
    const [state] = await ring.currentTokens('acme-cpo', [{ kind: 'uid', value: 'RESTORE' }]);
    expect(state).toEqual({ token: after, restricted: false, erasedAt: T0 });
  });

  it('K20 a stale restored record is ignored by currentTokens and by erase too', async () => {
    const old = tokenized(await tokenOf(ring, 'STALE', T0 - 1));
    const backup = ring.store.snapshotRecords();
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'STALE' }], { requestId: 'r-stale', erasedAt: T0 });
    ring.store.restoreRecords(backup);
    now += 120_000;
    expect(await ring.currentTokens('acme-cpo', [{ kind: 'uid', value: 'STALE' }])).toEqual([
      { token: null, restricted: false, erasedAt: T0 },
    ]);
    ring.store.restoreRecords(backup);
    const again = await ring.erase('acme-cpo', [{ kind: 'uid', value: 'STALE' }], { requestId: 'r-stale-2', erasedAt: T0 + 5 });
    expect(again.retiredTokens).not.toContain(old);
    expect(again).toMatchObject({ erased: 0, alreadyErased: 1 });
  });

  it('K22 restrict: RESTRICTED outcome, key kept; lifting it restores the same token', async () => {
    const token = tokenized(await tokenOf(ring, 'RESTR'));
    expect(await ring.restrict('acme-cpo', [{ kind: 'uid', value: 'RESTR' }], true)).toBe(1);
    expect(await ring.restrict('acme-cpo', [{ kind: 'uid', value: 'RESTR' }], true)).toBe(0);
    expect(await tokenOf(ring, 'RESTR')).toEqual({ status: 'RESTRICTED' });
    now += 120_000;
    expect(await tokenOf(ring, 'RESTR')).toEqual({ status: 'RESTRICTED' });
    expect(await ring.currentTokens('acme-cpo', [{ kind: 'uid', value: 'RESTR' }])).toEqual([
      { token, restricted: true, erasedAt: null },
    ]);
    expect(await ring.restrict('acme-cpo', [{ kind: 'uid', value: 'RESTR' }], false)).toBe(1);
    expect(await tokenOf(ring, 'RESTR')).toEqual({ status: 'TOKENIZED', token });
  });

  it('K22 restricting an unseen subject creates its key flagged; ERASED takes precedence over RESTRICTED', async () => {
    expect(await ring.restrict('acme-cpo', [{ kind: 'uid', value: 'UNSEEN' }], true)).toBe(1);
    expect(await tokenOf(ring, 'UNSEEN')).toEqual({ status: 'RESTRICTED' });
    expect(await ring.restrict('acme-cpo', [{ kind: 'uid', value: 'NOKEY' }], false)).toBe(0);
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'UNSEEN' }], { requestId: 'r-restricted', erasedAt: T0 });
    expect(await tokenOf(ring, 'UNSEEN', T0 - 1)).toEqual({ status: 'ERASED' });
  });

  it('K23 currentTokens reports live tokens and never creates keys', async () => {
    const token = tokenized(await tokenOf(ring, 'LIVE'));
    const created = ring.stats().keysCreated;
    const states = await ring.currentTokens('acme-cpo', [
      { kind: 'uid', value: 'LIVE' },
      { kind: 'uid', value: 'UNKNOWN' },
    ]);
    expect(states).toEqual([
      { token, restricted: false, erasedAt: null },
      { token: null, restricted: false, erasedAt: null },
    ]);
    expect(ring.stats().keysCreated).toBe(created);
  });

  it('K21 evict drops cached tokens; the next lookup reads the store', async () => {
    const token = tokenized(await tokenOf(ring, 'EVICT'));
    expect(ring.evict('acme-cpo', [token, 'unknown-token'])).toBe(1);
    const misses = ring.stats().cacheMisses;
    expect(tokenized(await tokenOf(ring, 'EVICT'))).toBe(token);
    expect(ring.stats().cacheMisses).toBe(misses + 1);
  });

  it('K24 rejects a tenant name that could break a hash tag, with an input error naming no value', async () => {
    const err = await ring.tokens([req('X', T0, 'uid', 'acme}{cpo')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmpsealError);
    expect((err as AmpsealError).retriable).toBe(false);
    expect((err as AmpsealError).message).not.toContain('acme}{cpo');
  });

  it('K16 rejects a malformed request id or erasedAt', async () => {
    await expect(ring.erase('acme-cpo', [], { requestId: '', erasedAt: T0 })).rejects.toBeInstanceOf(AmpsealError);
    await expect(ring.erase('acme-cpo', [], { requestId: 'ok', erasedAt: Number.NaN })).rejects.toBeInstanceOf(AmpsealError);
  });

  it('K27 K26 publishes cache events per batch on ampseal:keyring and logs no identifier', async () => {
    const events: unknown[] = [];
    const listener = (message: unknown) => events.push(message);
    subscribe(KEYRING_CHANNEL, listener);
    const logged: unknown[] = [];
    const logger = { info: (f: object) => logged.push(f), warn: (f: object) => logged.push(f) };
    const other = createMemoryKeyRing({ logger });
    try {
      await other.tokens([req('SECRET-CARD-1'), req('SECRET-CARD-1'), req('SECRET-CARD-2')]);
      await other.tokens([req('SECRET-CARD-1')]);
    } finally {
      unsubscribe(KEYRING_CHANNEL, listener);
      await other.stop();
    }
    expect(events).toContainEqual({ type: 'cache', hits: 0, misses: 3 });
    expect(events).toContainEqual({ type: 'cache', hits: 1, misses: 0 });
    expect(events).toContainEqual({ type: 'keys-created', tenant: 'acme-cpo', count: 2 });
    expect(JSON.stringify([events, logged])).not.toContain('SECRET');
    expect(logged).toContainEqual({ event: 'keyring.keyset.loaded', tenant: 'acme-cpo' });
  });

  describe('tombstone journal (K29–K32)', () => {
    const card = (value: string) => ({ kind: 'uid' as const, value });

    it('K29 erase returns one tombstone record per distinct subject, as stored; an idempotent repeat returns the same list', async () => {
      await tokenOf(ring, 'J-LIVE', T0 - 1);
      const result = await ring.erase('acme-cpo', [card('J-LIVE'), card('J-NEVER'), card('J-LIVE')], {
        requestId: 'r-journal',
        erasedAt: T0,
      });
      expect(result.tombstones).toHaveLength(2);
      const [live, never] = result.tombstones;
      expect(live).toEqual(tomb(live!.blindIndex, 1, T0, 'r-journal'));
      expect(never).toEqual(tomb(never!.blindIndex, 0, T0, 'r-journal'));
      expect(live!.blindIndex).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(live!.blindIndex).not.toBe(never!.blindIndex);
      // exactly what the store holds
      const { tombstones } = ring.store.snapshot();
      for (const t of result.tombstones) {
        expect(tombstones.get(`acme-cpo\0${t.blindIndex}`)).toEqual({ generation: t.generation, erasedAt: t.erasedAt, requestId: t.requestId });
      }
      // K16: the same request id again, even after a later erasure moved the tombstone on: the same list
      await tokenOf(ring, 'J-LIVE', T0 + 1);
      await ring.erase('acme-cpo', [card('J-LIVE')], { requestId: 'r-journal-2', erasedAt: T0 + 5 });
      const again = await ring.erase('acme-cpo', [card('J-LIVE'), card('J-NEVER')], { requestId: 'r-journal', erasedAt: T0 + 9 });
      expect(again).toEqual(result);
    });

    it('K31 K32 restore: an older snapshot brings the erased key back until the journal is re-applied', async () => {
      const t1 = tokenized(await tokenOf(ring, 'J-RESTORE', T0 - 1));
      const backup = ring.store.snapshot(); // records, tombstones and erasure results: a full backup
      const { tombstones: journal } = await ring.erase('acme-cpo', [card('J-RESTORE')], { requestId: 'r-jr', erasedAt: T0 });
      ring.store.restore(backup);

      // the bug the journal fixes: the restored snapshot has neither the tombstone nor the deletion
      expect(await tokenOf(ring, 'J-RESTORE', T0 + 1)).toEqual({ status: 'TOKENIZED', token: t1 });
      expect(await tokenOf(ring, 'J-RESTORE', T0)).toEqual({ status: 'TOKENIZED', token: t1 });

      expect(await ring.applyTombstones(journal)).toEqual({ applied: 1, keysDeleted: 1 });
      expect(ring.store.snapshot().records.size).toBe(0); // the old record is gone
      // no cache expiry needed: applyTombstones evicted this instance's cached T1
      expect(await tokenOf(ring, 'J-RESTORE', T0 - 1)).toEqual({ status: 'ERASED' });
      expect(await tokenOf(ring, 'J-RESTORE', T0)).toEqual({ status: 'ERASED' });
      const fresh = tokenized(await tokenOf(ring, 'J-RESTORE', T0 + 1));
      expect(fresh).not.toBe(t1);
      expect([...ring.store.snapshot().records.values()].map((r) => r.generation)).toEqual([2]);
    });

    it('K31 applying the same journal twice changes nothing', async () => {
      await tokenOf(ring, 'J-TWICE', T0 - 1);
      const backup = ring.store.snapshot();
      const first = await ring.erase('acme-cpo', [card('J-TWICE'), card('J-TWICE-2')], { requestId: 'r-twice', erasedAt: T0 });
      ring.store.restore(backup);
      expect(await ring.applyTombstones(first.tombstones)).toEqual({ applied: 2, keysDeleted: 1 });
      const fresh = tokenized(await tokenOf(ring, 'J-TWICE', T0 + 1));
      const state = ring.store.snapshot();
      expect(await ring.applyTombstones(first.tombstones)).toEqual({ applied: 0, keysDeleted: 0 });
      expect(await ring.applyTombstones([...first.tombstones, ...first.tombstones])).toEqual({ applied: 0, keysDeleted: 0 });
      expect(ring.store.snapshot()).toEqual(state);
      expect(tokenized(await tokenOf(ring, 'J-TWICE', T0 + 2))).toBe(fresh); // the new generation survives
      expect(await ring.applyTombstones([])).toEqual({ applied: 0, keysDeleted: 0 });
    });

    it('K31 an older tombstone never overwrites a newer one, in any order; same generation: the later erasedAt wins', async () => {
      await tokenOf(ring, 'J-ORDER', T0 - 1);
      const backup = ring.store.snapshot();
      const [older] = (await ring.erase('acme-cpo', [card('J-ORDER')], { requestId: 'r-old', erasedAt: T0 })).tombstones;
      const g2 = tokenized(await tokenOf(ring, 'J-ORDER', T0 + 10));
      const [newer] = (await ring.erase('acme-cpo', [card('J-ORDER')], { requestId: 'r-new', erasedAt: T0 + 20 })).tombstones;
      expect([older!.generation, newer!.generation]).toEqual([1, 2]);
      const g3 = tokenized(await tokenOf(ring, 'J-ORDER', T0 + 30));
      const key = `acme-cpo\0${newer!.blindIndex}`;

      // live: the older record neither overwrites the tombstone nor touches the generation-3 key
      expect(await ring.applyTombstones([older!])).toEqual({ applied: 0, keysDeleted: 0 });
      expect(ring.store.snapshot().tombstones.get(key)).toEqual({ generation: 2, erasedAt: T0 + 20, requestId: 'r-new' });
      expect(tokenized(await tokenOf(ring, 'J-ORDER', T0 + 31))).toBe(g3);
      // same generation, earlier erasedAt: not applied; later: applied (erasedAt extended)
      expect(await ring.applyTombstones([{ ...newer!, erasedAt: T0 + 15, requestId: 'r-earlier' }])).toEqual({ applied: 0, keysDeleted: 0 });
      expect(await ring.applyTombstones([{ ...newer!, erasedAt: T0 + 25, requestId: 'r-later' }])).toEqual({ applied: 1, keysDeleted: 0 });
      expect(ring.store.snapshot().tombstones.get(key)).toEqual({ generation: 2, erasedAt: T0 + 25, requestId: 'r-later' });

      // after a restore, newest-first and oldest-first end in the same state
      for (const journal of [
        [newer!, older!],
        [older!, newer!],
      ]) {
        ring.store.restore(backup);
        expect(await ring.applyTombstones(journal)).toEqual({ applied: journal[0] === newer ? 1 : 2, keysDeleted: 1 });
        expect(ring.store.snapshot().tombstones.get(key)).toEqual({ generation: 2, erasedAt: T0 + 20, requestId: 'r-new' });
        expect(await tokenOf(ring, 'J-ORDER', T0 + 20)).toEqual({ status: 'ERASED' });
        const next = tokenized(await tokenOf(ring, 'J-ORDER', T0 + 21));
        expect([g2, g3]).not.toContain(next);
      }
    });

    it('K31 K26 a malformed record rejects the whole call before anything is written, naming no value', async () => {
      const t = tokenized(await tokenOf(ring, 'J-BAD', T0 - 1));
      const backup = ring.store.snapshot();
      const [good] = (await ring.erase('acme-cpo', [card('J-BAD')], { requestId: 'r-bad', erasedAt: T0 })).tombstones;
      ring.store.restore(backup);
      const bad: TombstoneRecord[] = [
        { ...good!, blindIndex: `${good!.blindIndex}=` },
        { ...good!, blindIndex: good!.blindIndex.slice(1) },
        { ...good!, tenant: 'acme}{cpo' },
        { ...good!, generation: -1 },
        { ...good!, generation: 1.5 },
        { ...good!, erasedAt: Number.NaN },
        { ...good!, requestId: '' },
      ];
      for (const record of bad) {
        const err = await ring.applyTombstones([good!, record]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AmpsealError);
        expect((err as AmpsealError).retriable).toBe(false);
        expect((err as AmpsealError).message).not.toContain(good!.blindIndex.slice(0, 10));
      }
      expect(ring.store.snapshot()).toEqual(backup);
      expect(tokenized(await tokenOf(ring, 'J-BAD', T0 + 1))).toBe(t); // still the restored (unrepaired) state
    });

    it('K30 K27 tombstone records reach neither instrumentation nor logs', async () => {
      const events: unknown[] = [];
      const listener = (message: unknown) => events.push(message);
      const logged: unknown[] = [];
      const logger = { info: (f: object) => logged.push(f), warn: (f: object) => logged.push(f) };
      const other = createMemoryKeyRing({ logger });
      subscribe(KEYRING_CHANNEL, listener);
      try {
        await other.tokens([req('J-LOG')]);
        const { tombstones } = await other.erase('acme-cpo', [card('J-LOG')], { requestId: 'r-log', erasedAt: T0 });
        await other.applyTombstones(tombstones);
        const text = JSON.stringify([events, logged]);
        expect(text).not.toContain(tombstones[0]!.blindIndex);
        expect(logged).toContainEqual({ event: 'keyring.tombstones.applied', records: 1, applied: 0, keysDeleted: 0 });
      } finally {
        unsubscribe(KEYRING_CHANNEL, listener);
        await other.stop();
      }
    });
  });
});
