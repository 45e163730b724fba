import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AmpsealError, epochName, expiredEpochNames, type IdentifierKind, type TokenOutcome, type TokenRequest } from '@ampseal/core';
import { KeyRingEngine } from './engine';
import { Instruments, KEYRING_CHANNEL } from './instruments';
import type { KeySetSource } from './key-set';
import type { KeyRing, KeyRingLogger, SubjectId, TombstoneRecord } from './keyring';
import { MemoryKeySets, MemorySubjectStore, type MemorySnapshot } from './memory';
import type { SubjectStore } from './store';

/**
 * The key-ring conformance suite: one case per SPEC clause observable through the KeyRing API, run against
 * every store (the in-memory key ring in `conformance.test.ts`, Redis + local-kms in
 * `test/keyring/conformance.test.ts`). Test names start with the clause ids they prove. What only one store has
 * (Redis layout K24/K25, round trips K13, KMS failures K6/K26) stays in that store's own tests.
 *
 * Test-only code: it uses jest's globals and is loaded only by test files (it is in dist so the integration
 * tests can import it as `@ampseal/keyring/dist/conformance`).
 */

export interface ConformanceRingOptions {
  /** Epoch ms; every case drives time through this. */
  readonly clock: () => number;
  readonly cacheTtlMs?: number;
  readonly siteRefreshMs?: number;
  readonly logger?: KeyRingLogger;
}

/** A stored tombstone as the store holds it (K24: `g`, `at`, `req`). */
export interface StoredTombstone {
  readonly generation: number;
  readonly erasedAt: number;
  readonly requestId: string;
}

/** One isolated store (a fresh Map set, or a fresh Redis key prefix) and the hooks the cases inspect it with. */
export interface ConformanceStore {
  /** A started key ring over this store; every call is another instance (another process) sharing it. */
  ring(options: ConformanceRingOptions): Promise<KeyRing>;
  /** Everything the store holds about subjects, as a backup would (opaque to the suite). */
  backup(): Promise<unknown>;
  /** Puts a backup back as a full restore does: whatever was written since is gone. */
  restore(backup: unknown): Promise<void>;
  /** Puts only the backup's subject records back, leaving tombstones as they are (K20). */
  restoreRecords(backup: unknown): Promise<void>;
  /** Everything the store holds, in a form `toEqual` compares (to show that nothing changed). */
  contents(): Promise<unknown>;
  tombstone(tenant: string, blindIndex: string): Promise<StoredTombstone | null>;
  /** Generations of the tenant's stored subject records, ascending. */
  recordGenerations(tenant: string): Promise<number[]>;
  /** The tenant's stored private-site set (K35). */
  privateSites(tenant: string): Promise<string[]>;
  /** Flips a bit of every stored wrapped key of the tenant, as disk corruption or tampering would (K8). */
  corruptWrappedKeys(tenant: string): Promise<void>;
  /** Stops every ring it made and frees the store. */
  close(): Promise<void>;
}

export const ACME = 'acme-cpo';
export const VOLTWAY = 'voltway-cpo';
export const T0 = Date.parse('2026-11-24T10:00:00Z');
const TTL = 60_000;
const BLIND_INDEX = /^[A-Za-z0-9_-]{43}$/;

export function req(value: string, at = T0, kind: IdentifierKind = 'uid', tenant = ACME): TokenRequest {
  return { subject: { tenant, kind, value }, at };
}

const card = (value: string): SubjectId => ({ kind: 'uid', value });

function tokenized(outcome: TokenOutcome | undefined): string {
  expect(outcome?.status).toBe('TOKENIZED');
  return (outcome as { token: string }).token;
}

/** Runs `work` on a ring whose key-ring events and log lines are captured (K26, K27, K30 look at both). */
async function observed(w: World, work: (ring: KeyRing) => Promise<void>): Promise<{ events: unknown[]; logged: unknown[] }> {
  const events: unknown[] = [];
  const listener = (message: unknown) => events.push(message);
  const logged: unknown[] = [];
  const ring = await w.ring({ logger: { info: (f: object) => logged.push(f), warn: (f: object) => logged.push(f) } });
  subscribe(KEYRING_CHANNEL, listener);
  try {
    await work(ring);
  } finally {
    unsubscribe(KEYRING_CHANNEL, listener);
  }
  return { events, logged };
}

async function outcome(ring: KeyRing, value: string, at = T0, kind: IdentifierKind = 'uid', tenant = ACME): Promise<TokenOutcome> {
  const [result] = await ring.tokens([req(value, at, kind, tenant)]);
  return result!;
}

async function tokenOf(ring: KeyRing, value: string, at = T0, kind: IdentifierKind = 'uid', tenant = ACME): Promise<string> {
  return tokenized(await outcome(ring, value, at, kind, tenant));
}

function tomb(blindIndex: string, generation: number, erasedAt: number, requestId: string, tenant = ACME): TombstoneRecord {
  return { tenant, blindIndex, generation, erasedAt, requestId };
}

async function rejection(promise: Promise<unknown>): Promise<AmpsealError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AmpsealError);
  return err as AmpsealError;
}

/** The per-case world: a store, a clock every ring shares, and rings made on demand. */
interface World {
  readonly store: ConformanceStore;
  now: number;
  ring(options?: Partial<Omit<ConformanceRingOptions, 'clock'>>): Promise<KeyRing>;
}

export function describeKeyRingConformance(name: string, open: () => Promise<ConformanceStore>): void {
  describe(`key-ring conformance: ${name}`, () => {
    /** Runs a case on a fresh store and always closes it. */
    const scenario = (title: string, body: (world: World) => Promise<void>) =>
      it(title, async () => {
        const store = await open();
        const world: World = {
          store,
          now: T0 + 60_000,
          ring: (options = {}) => store.ring({ cacheTtlMs: TTL, ...options, clock: () => world.now }),
        };
        try {
          await body(world);
        } finally {
          await store.close();
        }
      });

    describe('key set and tokens (K3, K5, K7, K9, K10, K12, K14, K24, K27)', () => {
      scenario('K3 two instances starting at once on a new tenant adopt one key set: the same subject, the same token', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        const [ta, tb] = await Promise.all([tokenOf(a, 'SHARED-KEYSET'), tokenOf(b, 'SHARED-KEYSET')]);
        expect(ta).toBe(tb);
        expect(await tokenOf(b, 'SHARED-KEYSET-2', T0, 'uid', VOLTWAY)).toBe(await tokenOf(a, 'SHARED-KEYSET-2', T0, 'uid', VOLTWAY));
      });

      scenario('K5 no KMS call per event: after the first use the KMS counter stays flat over 1,000 lookups', async (w) => {
        const ring = await w.ring();
        await tokenOf(ring, 'WARM-UP');
        const warm = ring.stats().kmsCalls;
        for (let b = 0; b < 10; b++) {
          await ring.tokens(Array.from({ length: 100 }, (_, i) => req(i % 2 === 0 ? `REPEAT-${i % 20}` : `NEW-${b}-${i}`)));
        }
        await ring.erase(ACME, [card('NEW-0-1')], { requestId: 'k5-erase', erasedAt: T0 });
        await ring.currentTokens(ACME, [card('NEW-0-3')]);
        await ring.restrict(ACME, [card('NEW-0-5')], true);
        expect(ring.stats().kmsCalls).toBe(warm);
        expect(ring.stats().keysCreated).toBe(1 + 10 + 500);
      });

      scenario('K7 a key is created once per subject, when first needed: repeats in a batch and later batches create none', async (w) => {
        const ring = await w.ring();
        await ring.currentTokens(ACME, [card('A'), card('B')]);
        expect(await ring.restrict(ACME, [card('A')], false)).toBe(0);
        expect(ring.stats().keysCreated).toBe(0);
        await ring.tokens([req('A'), req('B'), req('A'), req('C')]);
        expect(ring.stats()).toMatchObject({ keysCreated: 3, cacheMisses: 4, cacheHits: 0 });
        await ring.tokens([req('A'), req('B'), req('C')]);
        expect(ring.stats()).toMatchObject({ keysCreated: 3, cacheHits: 3 });
      });

      scenario('K9 K29 the blind index is 32 bytes base64url, distinct per kind and value, and never the token', async (w) => {
        const ring = await w.ring();
        const token = await tokenOf(ring, 'BI-1');
        const { tombstones } = await ring.erase(ACME, [card('BI-1'), card('BI-2'), { kind: 'group', value: 'BI-1' }], {
          requestId: 'k9',
          erasedAt: T0 - 10,
        });
        const indexes = tombstones.map((t) => t.blindIndex);
        for (const bi of indexes) expect(bi).toMatch(BLIND_INDEX);
        expect(new Set(indexes).size).toBe(3);
        expect(indexes).not.toContain(token);
      });

      scenario('K10 same subject → same token, within a batch, across batches and across instances', async (w) => {
        const a = await w.ring();
        const [x, y] = await a.tokens([req('04A2B3C4'), req('04A2B3C4')]);
        expect(tokenized(x)).toBe(tokenized(y));
        expect(await tokenOf(a, '04A2B3C4', T0 + 5_000)).toBe(tokenized(x));
        expect(tokenized(x)).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const b = await w.ring();
        expect(await tokenOf(b, '04A2B3C4')).toBe(tokenized(x));
      });

      scenario('K10 different kind, value or tenant → different token; 200 distinct subjects give 200 tokens', async (w) => {
        const ring = await w.ring();
        const uid = await tokenOf(ring, 'X1');
        expect(await tokenOf(ring, 'X1', T0, 'group')).not.toBe(uid);
        expect(await tokenOf(ring, 'X2')).not.toBe(uid);
        expect(await tokenOf(ring, 'X1', T0, 'uid', VOLTWAY)).not.toBe(uid);
        const values = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `ü-${i}-€` : i % 3 === 1 ? `${i}` : `04${i.toString(16)}`));
        const first = (await ring.tokens(values.map((v) => req(v)))).map(tokenized);
        const again = (await ring.tokens([...values].reverse().map((v) => req(v)))).map(tokenized).reverse();
        expect(again).toEqual(first);
        expect(new Set(first).size).toBe(values.length);
      });

      scenario('K12 two instances creating the same new subjects at once end with one key each and the same tokens', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        const values = Array.from({ length: 50 }, (_, i) => `RACE-${i}`);
        for (let round = 0; round < 5; round++) {
          const batch = values.slice(round * 10, round * 10 + 10).map((v) => req(v));
          const [fromA, fromB] = await Promise.all([a.tokens(batch), b.tokens([...batch].reverse())]);
          expect(fromA).toEqual([...fromB].reverse());
          expect(fromA.every((o) => o.status === 'TOKENIZED')).toBe(true);
        }
        expect(await w.store.recordGenerations(ACME)).toEqual(Array.from({ length: 50 }, () => 1));
        expect(a.stats().keysCreated + b.stats().keysCreated).toBe(50);
      });

      scenario('K14 entries expire cacheTtlMs after they were loaded, not after last use; the stored key gives the same token', async (w) => {
        const ring = await w.ring();
        const before = await tokenOf(ring, 'TTL');
        w.now += TTL - 1;
        const misses = ring.stats().cacheMisses;
        expect(await tokenOf(ring, 'TTL')).toBe(before); // a hit, one ms before expiry
        expect(ring.stats().cacheMisses).toBe(misses);
        w.now += 1;
        expect(await tokenOf(ring, 'TTL')).toBe(before); // expired although just used: a miss
        expect(ring.stats().cacheMisses).toBe(misses + 1);
        expect(ring.stats().keysCreated).toBe(1);
      });

      scenario('K24 K26 a tenant name that could break a hash tag is refused, not retriable, naming no value', async (w) => {
        const ring = await w.ring();
        const err = await rejection(ring.tokens([req('X', T0, 'uid', 'acme}{cpo')]));
        expect(err.retriable).toBe(false);
        expect(err.message).not.toContain('acme}{cpo');
        await rejection(ring.erase('acme}{cpo', [card('X')], { requestId: 'r', erasedAt: T0 }));
        await rejection(ring.links(''));
      });

      scenario('K27 K26 cache events per batch on ampseal:keyring; no identifier in events or logs', async (w) => {
        const { events, logged } = await observed(w, async (ring) => {
          await ring.tokens([req('SECRET-CARD-1'), req('SECRET-CARD-1'), req('SECRET-CARD-2')]);
          await ring.tokens([req('SECRET-CARD-1')]);
          await ring.erase(ACME, [card('SECRET-CARD-2')], { requestId: 'k27', erasedAt: T0 });
        });
        expect(events).toContainEqual({ type: 'cache', hits: 0, misses: 3 });
        expect(events).toContainEqual({ type: 'cache', hits: 1, misses: 0 });
        expect(events).toContainEqual({ type: 'keys-created', tenant: ACME, count: 2 });
        expect(JSON.stringify([events, logged])).not.toContain('SECRET');
        expect(logged.some((f) => (f as { event?: string }).event?.startsWith('keyring.keyset.'))).toBe(true);
      });
    });

    describe('erasure (K15–K21)', () => {
      scenario('K15 K17 erase: ERASED at or before erasedAt, a new unlinkable token after, stable from then on', async (w) => {
        const ring = await w.ring();
        const old = await tokenOf(ring, 'CARD', T0 - 1000);
        const result = await ring.erase(ACME, [card('CARD')], { requestId: 'r-1', erasedAt: T0 });
        expect(result).toMatchObject({ retiredTokens: [old], erased: 1, alreadyErased: 0 });
        const [before, exactly, after] = await ring.tokens([req('CARD', T0 - 1), req('CARD', T0), req('CARD', T0 + 1)]);
        expect(before).toEqual({ status: 'ERASED' });
        expect(exactly).toEqual({ status: 'ERASED' });
        const fresh = tokenized(after);
        expect(fresh).not.toBe(old);
        expect(await tokenOf(ring, 'CARD', T0 + 5000)).toBe(fresh);
        expect(await outcome(ring, 'CARD', T0 - 5000)).toEqual({ status: 'ERASED' });
        expect(await w.store.recordGenerations(ACME)).toEqual([2]);
      });

      scenario('K16 erase is idempotent per request id: same result, nothing changed, not even a key created since', async (w) => {
        const ring = await w.ring();
        const old = await tokenOf(ring, 'IDEM', T0 - 1);
        const first = await ring.erase(ACME, [card('IDEM'), card('IDEM-NEVER')], { requestId: 'r-idem', erasedAt: T0 });
        expect(first).toMatchObject({ retiredTokens: [old], erased: 2, alreadyErased: 0 });
        const fresh = await tokenOf(ring, 'IDEM', T0 + 1);
        const state = await w.store.contents();
        const second = await ring.erase(ACME, [card('IDEM'), card('IDEM-NEVER')], { requestId: 'r-idem', erasedAt: T0 + 999 });
        expect(second).toEqual(first);
        expect(await w.store.contents()).toEqual(state);
        expect(await tokenOf(ring, 'IDEM', T0 + 500)).toBe(fresh);
      });

      scenario('K15 a subject whose wrapped key fails authentication is still erased: key deleted, tombstone written, its token reported as not computed', async (w) => {
        const ring = await w.ring();
        await tokenOf(ring, 'TAMPERED', T0 - 1);
        const healthy = await tokenOf(ring, 'HEALTHY', T0 - 1);
        await w.store.corruptWrappedKeys(ACME);
        // A fresh instance: nothing cached, every key read from the (corrupt) store.
        const other = await w.ring();
        const result = await other.erase(ACME, [card('TAMPERED')], { requestId: 'r-tampered', erasedAt: T0 });
        expect(result).toMatchObject({ erased: 1, retiredTokens: [], tokensNotComputed: 1 });
        expect(await outcome(other, 'TAMPERED', T0 - 1)).toEqual({ status: 'ERASED' });
        expect(await w.store.recordGenerations(ACME)).toHaveLength(1); // only HEALTHY's record is left
        // The healthy subject's key is corrupt too now, so its lookup fails closed: never a wrong token.
        await expect(other.tokens([req('HEALTHY', T0 + 1)])).rejects.toMatchObject({ code: 'AMPSEAL_ERR_KEY_INTEGRITY' });
        expect(healthy).toMatch(/^[A-Za-z0-9_-]{22}$/);
      });

      scenario('K16 a request id reused for other subjects is refused (REQUEST_ID_REUSED), and their keys stay untouched', async (w) => {
        const ring = await w.ring();
        await ring.erase(ACME, [card('TICKET-A')], { requestId: 'TICKET-42', erasedAt: T0 });
        const b = await tokenOf(ring, 'TICKET-B', T0 + 1);
        const state = await w.store.contents();
        const reuse = await ring.erase(ACME, [card('TICKET-B')], { requestId: 'TICKET-42', erasedAt: T0 + 10 }).catch((e: unknown) => e);
        expect(reuse).toMatchObject({ code: 'AMPSEAL_ERR_REQUEST_ID_REUSED', retriable: false });
        expect(await w.store.contents()).toEqual(state);
        expect(await tokenOf(ring, 'TICKET-B', T0 + 20)).toBe(b);
        // The same subjects in another order and spelling is the same request: its stored result, not a refusal.
        const again = await ring.erase(ACME, [card('TICKET-A'), card('TICKET-A')], { requestId: 'TICKET-42', erasedAt: T0 + 30 });
        expect(again.erased + again.alreadyErased).toBe(1);
      });

      scenario('K16 the same request delivered to two instances at once: one erasure, one result', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        await tokenOf(a, 'IDEM-2', T0 - 1);
        const subjects = [card('IDEM-2'), card('IDEM-2-NEVER')];
        const [first, concurrent] = await Promise.all([
          a.erase(ACME, subjects, { requestId: 'req-idem', erasedAt: T0 }),
          b.erase(ACME, subjects, { requestId: 'req-idem', erasedAt: T0 }),
        ]);
        expect(concurrent).toEqual(first);
        expect(first).toMatchObject({ erased: 2, alreadyErased: 0 });
        expect(first.retiredTokens).toHaveLength(1);
      });

      scenario('K16 K26 a malformed request id or erasedAt is refused before anything is read or written', async (w) => {
        const ring = await w.ring();
        const state = await w.store.contents();
        for (const request of [
          { requestId: '', erasedAt: T0 },
          { requestId: 'has space', erasedAt: T0 },
          { requestId: 'x'.repeat(201), erasedAt: T0 },
          { requestId: 'ok', erasedAt: Number.NaN },
          { requestId: 'ok', erasedAt: Number.POSITIVE_INFINITY },
        ]) {
          const err = await rejection(ring.erase(ACME, [card('MALFORMED')], request));
          expect(err.retriable).toBe(false);
          expect(err.message).not.toContain('MALFORMED');
        }
        expect(await w.store.contents()).toEqual(state);
      });

      scenario('K17 K14 replayed old events of an erased subject never mint a key and are served from the cache', async (w) => {
        const ring = await w.ring();
        await tokenOf(ring, 'REPLAY', T0 - 10);
        await ring.erase(ACME, [card('REPLAY')], { requestId: 'r-replay', erasedAt: T0 });
        const created = ring.stats().keysCreated;
        for (let i = 0; i < 5; i++) expect(await outcome(ring, 'REPLAY', T0 - i)).toEqual({ status: 'ERASED' });
        expect(ring.stats().keysCreated).toBe(created);
        expect(ring.stats().cacheHits).toBeGreaterThanOrEqual(4);
        expect(await w.store.recordGenerations(ACME)).toEqual([]);
      });

      scenario('K17 an event with no valid time is ERASED for an erased subject (fail safe), tokenized otherwise', async (w) => {
        const ring = await w.ring();
        await ring.erase(ACME, [card('NOTIME')], { requestId: 'r-nan', erasedAt: T0 });
        expect(await outcome(ring, 'NOTIME', Number.NaN)).toEqual({ status: 'ERASED' });
        expect(await outcome(ring, 'NOTIME', Number.NEGATIVE_INFINITY)).toEqual({ status: 'ERASED' });
        expect((await outcome(ring, 'OTHER', Number.NaN)).status).toBe('TOKENIZED');
        expect(tokenized(await outcome(ring, 'NOTIME', Number.POSITIVE_INFINITY))).toBe(await tokenOf(ring, 'NOTIME', T0 + 1));
      });

      scenario('K18 a tombstoned subject unknown to an instance gets the next generation, the same on every instance', async (w) => {
        const a = await w.ring();
        const old = await tokenOf(a, 'NEXT-GEN', T0 - 1);
        await a.erase(ACME, [card('NEXT-GEN')], { requestId: 'req-next-gen', erasedAt: T0 });
        const b = await w.ring(); // never saw the subject: guesses generation 1, is refused, retries with 2
        const fresh = await tokenOf(b, 'NEXT-GEN', T0 + 1);
        expect(fresh).not.toBe(old);
        expect(b.stats().keysCreated).toBe(1);
        expect(await tokenOf(a, 'NEXT-GEN', T0 + 2)).toBe(fresh);
        expect(await w.store.recordGenerations(ACME)).toEqual([2]);
      });

      scenario('K19 erasing a subject never seen tombstones it; again extends erasedAt; generations only rise', async (w) => {
        const ring = await w.ring();
        const first = await ring.erase(ACME, [card('NEVER')], { requestId: 'r-a', erasedAt: T0 });
        const bi = first.tombstones[0]!.blindIndex;
        expect(first).toEqual({ retiredTokens: [], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 0, T0, 'r-a')], requestDigest: expect.any(String) });
        expect(await outcome(ring, 'NEVER', T0 - 1)).toEqual({ status: 'ERASED' });
        const g1 = await tokenOf(ring, 'NEVER', T0 + 10);

        const again = await ring.erase(ACME, [card('NEVER')], { requestId: 'r-b', erasedAt: T0 + 20 });
        expect(again).toEqual({ retiredTokens: [g1], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 1, T0 + 20, 'r-b')], requestDigest: expect.any(String) });
        expect(await outcome(ring, 'NEVER', T0 + 10)).toEqual({ status: 'ERASED' });
        const g2 = await tokenOf(ring, 'NEVER', T0 + 30);
        expect(g2).not.toBe(g1);

        const third = await ring.erase(ACME, [card('NEVER'), card('NEVER')], { requestId: 'r-c', erasedAt: T0 + 40 });
        expect(third).toEqual({ retiredTokens: [g2], erased: 1, alreadyErased: 0, tombstones: [tomb(bi, 2, T0 + 40, 'r-c')], requestDigest: expect.any(String) });
        const fourth = await ring.erase(ACME, [card('NEVER')], { requestId: 'r-d', erasedAt: T0 + 35 });
        // the tombstone as written: generation kept, erasedAt not shortened, the new request id
        expect(fourth).toEqual({ retiredTokens: [], erased: 0, alreadyErased: 1, tombstones: [tomb(bi, 2, T0 + 40, 'r-d')], requestDigest: expect.any(String) });
        expect(await w.store.tombstone(ACME, bi)).toEqual({ generation: 2, erasedAt: T0 + 40, requestId: 'r-d' });
        expect(await outcome(ring, 'NEVER', T0 + 38)).toEqual({ status: 'ERASED' });
      });

      scenario('K20 a restored record at or below its tombstone never yields the old token; it is deleted when seen', async (w) => {
        const a = await w.ring();
        const old = await tokenOf(a, 'RESTORE', T0 - 1);
        const backup = await w.store.backup();
        await a.erase(ACME, [card('RESTORE')], { requestId: 'r-restore', erasedAt: T0 });
        await w.store.restoreRecords(backup); // the erased key is back, its tombstone stays
        expect(await w.store.recordGenerations(ACME)).toEqual([1]);

        const b = await w.ring();
        expect(await outcome(b, 'RESTORE', T0 - 1)).toEqual({ status: 'ERASED' });
        expect(await w.store.recordGenerations(ACME)).toEqual([]); // seen, recognised as stale, deleted
        expect(await b.currentTokens(ACME, [card('RESTORE')])).toEqual([{ token: null, restricted: false, erasedAt: T0 }]);

        await w.store.restoreRecords(backup); // restored again, then a new event arrives
        const fresh = await tokenOf(b, 'RESTORE', T0 + 1);
        expect(fresh).not.toBe(old);
        expect(await w.store.recordGenerations(ACME)).toEqual([2]);
        expect(await b.currentTokens(ACME, [card('RESTORE')])).toEqual([{ token: fresh, restricted: false, erasedAt: T0 }]);
      });

      scenario('K20 a stale restored record is ignored by currentTokens and by erase too', async (w) => {
        const ring = await w.ring();
        const old = await tokenOf(ring, 'STALE', T0 - 1);
        const backup = await w.store.backup();
        await ring.erase(ACME, [card('STALE')], { requestId: 'r-stale', erasedAt: T0 });
        await w.store.restoreRecords(backup);
        w.now += TTL; // nothing cached: the store decides
        expect(await ring.currentTokens(ACME, [card('STALE')])).toEqual([{ token: null, restricted: false, erasedAt: T0 }]);
        await w.store.restoreRecords(backup);
        const again = await ring.erase(ACME, [card('STALE')], { requestId: 'r-stale-2', erasedAt: T0 + 5 });
        expect(again.retiredTokens).not.toContain(old);
        expect(again).toMatchObject({ erased: 0, alreadyErased: 1 });
      });

      scenario('K20 re-running an erasure after a full restore (its tombstone lost too) applies it again, same receipt', async (w) => {
        const ring = await w.ring();
        const old = await tokenOf(ring, 'FULL-RESTORE', T0 - 1);
        const backup = await w.store.backup();
        const receipt = await ring.erase(ACME, [card('FULL-RESTORE')], { requestId: 'req-full', erasedAt: T0 });
        await w.store.restore(backup);
        const replayed = await ring.erase(ACME, [card('FULL-RESTORE')], { requestId: 'req-full', erasedAt: T0 });
        expect(replayed).toEqual(receipt);
        expect(receipt.retiredTokens).toEqual([old]);
        expect(await outcome(ring, 'FULL-RESTORE', T0)).toEqual({ status: 'ERASED' });
        expect(await tokenOf(ring, 'FULL-RESTORE', T0 + 1)).not.toBe(old);
      });

      scenario('K21 erase updates this instance at once; another serves its cached token until it evicts the retired ones', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        const old = await tokenOf(a, 'ERASE-ME', T0 - 60_000);
        expect(await tokenOf(b, 'ERASE-ME', T0 - 60_000)).toBe(old); // b caches it
        const receipt = await a.erase(ACME, [card('ERASE-ME')], { requestId: 'req-erase-1', erasedAt: T0 });
        expect(await outcome(a, 'ERASE-ME', T0)).toEqual({ status: 'ERASED' });
        const fresh = await tokenOf(a, 'ERASE-ME', T0 + 1);

        expect(await tokenOf(b, 'ERASE-ME', T0 + 1)).toBe(old); // bounded by the TTL (design §5)
        expect(b.evict(ACME, [...receipt.retiredTokens, 'not-a-token'])).toBe(1);
        expect(b.evict(ACME, receipt.retiredTokens)).toBe(0);
        expect(await outcome(b, 'ERASE-ME', T0)).toEqual({ status: 'ERASED' });
        expect(await tokenOf(b, 'ERASE-ME', T0 + 1)).toBe(fresh);
      });

      scenario('K21 a lookup in flight when an eviction arrives does not cache its answer (no receipt lost to the race)', async (w) => {
        const ring = await w.ring();
        // Control: a lookup with no eviction in between is cached (the second call is a hit).
        await ring.tokens([req('EPOCH-CONTROL')]);
        const hitsBefore = ring.stats().cacheHits;
        await ring.tokens([req('EPOCH-CONTROL')]);
        expect(ring.stats().cacheHits).toBe(hitsBefore + 1);
        // The race: the miss path is under way (awaiting the store) when a receipt's eviction is handled.
        const inFlight = ring.tokens([req('EPOCH-RACE')]);
        ring.evict(ACME, ['AAAAAAAAAAAAAAAAAAAAAA']);
        await inFlight;
        const missesBefore = ring.stats().cacheMisses;
        await ring.tokens([req('EPOCH-RACE')]);
        expect(ring.stats().cacheMisses).toBe(missesBefore + 1);
      });

      scenario('K21 K14 an instance that missed the eviction converges within the TTL', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        const old = await tokenOf(b, 'MISSED', T0 - 1);
        await a.erase(ACME, [card('MISSED')], { requestId: 'req-missed', erasedAt: T0 });
        expect(await tokenOf(b, 'MISSED', T0 - 1)).toBe(old);
        w.now += TTL;
        expect(await outcome(b, 'MISSED', T0 - 1)).toEqual({ status: 'ERASED' });
      });
    });

    describe('restriction and access (K22, K23)', () => {
      scenario('K22 restrict: RESTRICTED while the key is kept, on every instance; lifting it restores the same token', async (w) => {
        const a = await w.ring();
        const token = await tokenOf(a, 'RESTR');
        expect(await a.restrict(ACME, [card('RESTR'), card('RESTR')], true)).toBe(1);
        expect(await a.restrict(ACME, [card('RESTR')], true)).toBe(0);
        expect(await outcome(a, 'RESTR')).toEqual({ status: 'RESTRICTED' });
        const b = await w.ring();
        expect(await outcome(b, 'RESTR')).toEqual({ status: 'RESTRICTED' });
        w.now += TTL;
        expect(await outcome(a, 'RESTR')).toEqual({ status: 'RESTRICTED' });
        expect(await b.currentTokens(ACME, [card('RESTR')])).toEqual([{ token, restricted: true, erasedAt: null }]);
        expect(await a.restrict(ACME, [card('RESTR')], false)).toBe(1);
        expect(await outcome(a, 'RESTR')).toEqual({ status: 'TOKENIZED', token });
      });

      scenario('K22 restricting an unseen subject creates its key flagged; lifting an unseen one creates nothing; ERASED wins', async (w) => {
        const ring = await w.ring();
        expect(await ring.restrict(ACME, [card('UNSEEN')], true)).toBe(1);
        expect(ring.stats().keysCreated).toBe(1);
        expect(await outcome(ring, 'UNSEEN')).toEqual({ status: 'RESTRICTED' });
        expect(await ring.restrict(ACME, [card('NOKEY')], false)).toBe(0);
        expect(ring.stats().keysCreated).toBe(1);
        await ring.erase(ACME, [card('UNSEEN')], { requestId: 'r-restricted', erasedAt: T0 });
        expect(await outcome(ring, 'UNSEEN', T0 - 1)).toEqual({ status: 'ERASED' });
        // after erasedAt: a fresh key, unrestricted (the flag went with the erased key)
        expect((await outcome(ring, 'UNSEEN', T0 + 1)).status).toBe('TOKENIZED');
      });

      scenario('K22 K17 restricting an erased subject creates the next generation, flagged', async (w) => {
        const ring = await w.ring();
        await ring.erase(ACME, [card('ERASED-THEN-RESTRICTED')], { requestId: 'r-er', erasedAt: T0 });
        expect(await ring.restrict(ACME, [card('ERASED-THEN-RESTRICTED')], true)).toBe(1);
        expect(await outcome(ring, 'ERASED-THEN-RESTRICTED', T0)).toEqual({ status: 'ERASED' });
        expect(await outcome(ring, 'ERASED-THEN-RESTRICTED', T0 + 1)).toEqual({ status: 'RESTRICTED' });
        expect(await w.store.recordGenerations(ACME)).toEqual([1]);
      });

      scenario('K23 currentTokens reports live tokens, flags and erasedAt, and never creates keys', async (w) => {
        const a = await w.ring();
        const token = await tokenOf(a, 'LIVE');
        await a.erase(ACME, [card('GONE')], { requestId: 'r-gone', erasedAt: T0 });
        const b = await w.ring();
        const states = await b.currentTokens(ACME, [card('LIVE'), card('UNKNOWN'), card('GONE'), card('LIVE')]);
        expect(states).toEqual([
          { token, restricted: false, erasedAt: null },
          { token: null, restricted: false, erasedAt: null },
          { token: null, restricted: false, erasedAt: T0 },
          { token, restricted: false, erasedAt: null },
        ]);
        expect(a.stats().keysCreated + b.stats().keysCreated).toBe(1);
        expect(await w.store.recordGenerations(ACME)).toEqual([1]);
      });
    });

    describe('tombstone journal (K29–K31)', () => {
      scenario('K29 erase returns one tombstone record per distinct subject, as stored; a repeat returns the same list', async (w) => {
        const a = await w.ring();
        await tokenOf(a, 'J-LIVE', T0 - 1);
        const result = await a.erase(ACME, [card('J-LIVE'), card('J-NEVER'), card('J-LIVE')], { requestId: 'r-journal', erasedAt: T0 });
        expect(result.tombstones).toHaveLength(2);
        const [live, never] = result.tombstones;
        expect(live).toEqual(tomb(live!.blindIndex, 1, T0, 'r-journal'));
        expect(never).toEqual(tomb(never!.blindIndex, 0, T0, 'r-journal'));
        for (const t of result.tombstones) {
          expect(await w.store.tombstone(ACME, t.blindIndex)).toEqual({ generation: t.generation, erasedAt: t.erasedAt, requestId: t.requestId });
        }
        // the same request id on another instance, after a later erasure moved the tombstone on: the same list
        await tokenOf(a, 'J-LIVE', T0 + 1);
        await a.erase(ACME, [card('J-LIVE')], { requestId: 'r-journal-2', erasedAt: T0 + 5 });
        const b = await w.ring();
        expect(await b.erase(ACME, [card('J-LIVE'), card('J-NEVER')], { requestId: 'r-journal', erasedAt: T0 + 9 })).toEqual(result);
      });

      scenario('K30 K27 tombstone records reach neither instrumentation nor logs', async (w) => {
        let blindIndex = '';
        const { events, logged } = await observed(w, async (ring) => {
          await ring.tokens([req('J-LOG')]);
          const { tombstones } = await ring.erase(ACME, [card('J-LOG')], { requestId: 'r-log', erasedAt: T0 });
          await ring.applyTombstones(tombstones);
          blindIndex = tombstones[0]!.blindIndex;
        });
        expect(JSON.stringify([events, logged])).not.toContain(blindIndex);
        expect(logged).toContainEqual({ event: 'keyring.tombstones.applied', records: 1, applied: 0, keysDeleted: 0 });
      });

      scenario('K31 K32 an older snapshot brings the erased key back until the journal is re-applied', async (w) => {
        const a = await w.ring();
        const t1 = await tokenOf(a, 'J-RESTORE', T0 - 60_000);
        const backup = await w.store.backup();
        const { tombstones: journal } = await a.erase(ACME, [card('J-RESTORE')], { requestId: 'r-jr', erasedAt: T0 });
        await w.store.restore(backup);
        expect(await w.store.tombstone(ACME, journal[0]!.blindIndex)).toBeNull();

        // the bug the journal fixes: the snapshot holds neither the tombstone nor the deletion
        expect(await tokenOf(a, 'J-RESTORE', T0 + 1)).toBe(t1);
        expect(await tokenOf(a, 'J-RESTORE', T0)).toBe(t1);

        const kms = a.stats().kmsCalls;
        expect(await a.applyTombstones(journal)).toEqual({ applied: 1, keysDeleted: 1 });
        expect(a.stats().kmsCalls).toBe(kms);
        expect(await w.store.recordGenerations(ACME)).toEqual([]);
        expect(await w.store.tombstone(ACME, journal[0]!.blindIndex)).toEqual({ generation: 1, erasedAt: T0, requestId: 'r-jr' });
        // no TTL wait: applyTombstones evicted this instance's cached T1
        expect(await outcome(a, 'J-RESTORE', T0 - 60_000)).toEqual({ status: 'ERASED' });
        expect(await outcome(a, 'J-RESTORE', T0)).toEqual({ status: 'ERASED' });
        const fresh = await tokenOf(a, 'J-RESTORE', T0 + 1);
        expect(fresh).not.toBe(t1);
        expect(await w.store.recordGenerations(ACME)).toEqual([2]);
        const b = await w.ring(); // an instance started after the runbook
        expect(await outcome(b, 'J-RESTORE', T0)).toEqual({ status: 'ERASED' });
        expect(await tokenOf(b, 'J-RESTORE', T0 + 2)).toBe(fresh);
      });

      scenario('K31 applying the same journal twice, or a record twice, changes nothing', async (w) => {
        const ring = await w.ring();
        await tokenOf(ring, 'J-TWICE', T0 - 1);
        const backup = await w.store.backup();
        const first = await ring.erase(ACME, [card('J-TWICE'), card('J-TWICE-2')], { requestId: 'r-twice', erasedAt: T0 });
        await w.store.restore(backup);
        expect(await ring.applyTombstones(first.tombstones)).toEqual({ applied: 2, keysDeleted: 1 });
        const fresh = await tokenOf(ring, 'J-TWICE', T0 + 1);
        const state = await w.store.contents();
        expect(await ring.applyTombstones(first.tombstones)).toEqual({ applied: 0, keysDeleted: 0 });
        expect(await ring.applyTombstones([...first.tombstones, ...first.tombstones])).toEqual({ applied: 0, keysDeleted: 0 });
        expect(await w.store.contents()).toEqual(state);
        expect(await tokenOf(ring, 'J-TWICE', T0 + 2)).toBe(fresh); // the new generation survives
        expect(await ring.applyTombstones([])).toEqual({ applied: 0, keysDeleted: 0 });
      });

      scenario('K31 an older tombstone never overwrites a newer one, in any order; same generation: the later erasedAt wins', async (w) => {
        const ring = await w.ring();
        await tokenOf(ring, 'J-ORDER', T0 - 1);
        const backup = await w.store.backup();
        const [older] = (await ring.erase(ACME, [card('J-ORDER')], { requestId: 'r-old', erasedAt: T0 })).tombstones;
        const g2 = await tokenOf(ring, 'J-ORDER', T0 + 10);
        const [newer] = (await ring.erase(ACME, [card('J-ORDER')], { requestId: 'r-new', erasedAt: T0 + 20 })).tombstones;
        expect([older!.generation, newer!.generation]).toEqual([1, 2]);
        const g3 = await tokenOf(ring, 'J-ORDER', T0 + 30);
        const bi = newer!.blindIndex;

        // live: the older record neither overwrites the tombstone nor touches the generation-3 key
        expect(await ring.applyTombstones([older!])).toEqual({ applied: 0, keysDeleted: 0 });
        expect(await w.store.tombstone(ACME, bi)).toEqual({ generation: 2, erasedAt: T0 + 20, requestId: 'r-new' });
        expect(await tokenOf(ring, 'J-ORDER', T0 + 31)).toBe(g3);
        expect(await ring.applyTombstones([{ ...newer!, erasedAt: T0 + 15, requestId: 'r-earlier' }])).toEqual({ applied: 0, keysDeleted: 0 });
        expect(await ring.applyTombstones([{ ...newer!, erasedAt: T0 + 25, requestId: 'r-later' }])).toEqual({ applied: 1, keysDeleted: 0 });
        expect(await w.store.tombstone(ACME, bi)).toEqual({ generation: 2, erasedAt: T0 + 25, requestId: 'r-later' });

        // after a restore, newest-first and oldest-first end in the same state
        for (const journal of [
          [newer!, older!],
          [older!, newer!],
        ]) {
          await w.store.restore(backup);
          expect(await ring.applyTombstones(journal)).toEqual({ applied: journal[0] === newer ? 1 : 2, keysDeleted: 1 });
          expect(await w.store.tombstone(ACME, bi)).toEqual({ generation: 2, erasedAt: T0 + 20, requestId: 'r-new' });
          expect(await outcome(ring, 'J-ORDER', T0 + 20)).toEqual({ status: 'ERASED' });
          const next = await tokenOf(ring, 'J-ORDER', T0 + 21);
          expect([g2, g3]).not.toContain(next);
          expect(await w.store.recordGenerations(ACME)).toEqual([3]);
        }
      });

      scenario('K31 K26 a malformed record rejects the whole call before anything is written, naming no value', async (w) => {
        const ring = await w.ring();
        const t = await tokenOf(ring, 'J-BAD', T0 - 1);
        const backup = await w.store.backup();
        const [good] = (await ring.erase(ACME, [card('J-BAD')], { requestId: 'r-bad', erasedAt: T0 })).tombstones;
        await w.store.restore(backup);
        const state = await w.store.contents();
        const bad: TombstoneRecord[] = [
          { ...good!, blindIndex: `${good!.blindIndex}=` },
          { ...good!, blindIndex: good!.blindIndex.slice(1) },
          { ...good!, tenant: 'acme}{cpo' },
          { ...good!, generation: -1 },
          { ...good!, generation: 1.5 },
          { ...good!, generation: 2 ** 32 - 1 }, // no generation left for the next key (K8 binds a uint32)
          { ...good!, generation: 2 ** 32 },
          { ...good!, erasedAt: Number.NaN },
          { ...good!, requestId: '' },
          null as unknown as TombstoneRecord,
        ];
        for (const record of bad) {
          const err = await rejection(ring.applyTombstones([good!, record]));
          expect(err.retriable).toBe(false);
          expect(err.message).not.toContain(good!.blindIndex.slice(0, 10));
        }
        await rejection(ring.applyTombstones('nope' as unknown as TombstoneRecord[]));
        expect(await w.store.contents()).toEqual(state);
        expect(await tokenOf(ring, 'J-BAD', T0 + 1)).toBe(t); // still the restored (unrepaired) state
      });
    });

    describe('link tokens and private sites (K33–K36)', () => {
      scenario('K33 K34 a link token is stable per tenant, scope and value, the same on every instance, and differs across tenants, scopes and domains', async (w) => {
        const [a, b] = await Promise.all([w.ring(), w.ring()]);
        const acme = await a.links(ACME);
        const t = acme.token('station', 'garage-jansen', false);
        expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(acme.token('station', 'garage-jansen', false)).toBe(t);
        expect((await b.links(ACME)).token('station', 'garage-jansen', false)).toBe(t);
        expect(acme.token('transaction', 'garage-jansen', false)).not.toBe(t);
        expect(acme.token('station', 'garage-jansen', true)).not.toBe(t);
        expect((await a.links(VOLTWAY)).token('station', 'garage-jansen', false)).not.toBe(t);
        // not the subject token of the same value either (another key, another domain)
        expect(await tokenOf(a, 'garage-jansen')).not.toBe(t);
      });

      scenario('K34 link tokens cost no store round trip and no KMS call per id', async (w) => {
        const ring = await w.ring();
        const links = await ring.links(ACME);
        const before = ring.stats();
        const tokens = Array.from({ length: 100 }, (_, i) => links.token('transaction', `04A2B3C4-${i}`, i % 2 === 0));
        for (let i = 0; i < 100; i++) links.isPrivate(`LOC-${i}`);
        expect(await ring.links(ACME)).toBe(links);
        expect(ring.stats()).toEqual(before);
        expect(new Set(tokens).size).toBe(100);
      });

      scenario('K35 K36 a learned site is stored as a keyed hash only, and applies at once on the instance that learned it', async (w) => {
        const ring = await w.ring();
        const links = await ring.links(ACME);
        expect(links.isPrivate('LOC-HOME')).toBe(false);
        await ring.learnPrivateSites(ACME, ['LOC-HOME', 'garage-de-vries', 'LOC-HOME']);
        expect(links.isPrivate('LOC-HOME')).toBe(true);
        expect(links.isPrivate('LOC-OTHER')).toBe(false);
        const stored = await w.store.privateSites(ACME);
        expect(stored).toHaveLength(2);
        for (const hash of stored) expect(hash).toMatch(BLIND_INDEX);
        expect(stored.join(' ')).not.toMatch(/LOC|HOME|garage|vries/i);
        expect(await w.store.privateSites(VOLTWAY)).toEqual([]);
        await ring.learnPrivateSites(ACME, []);
        expect(await w.store.privateSites(ACME)).toHaveLength(2);
      });

      scenario('K36 a site learned by one instance applies on another after siteRefreshMs, not before; a restart knows it at once', async (w) => {
        const a = await w.ring({ siteRefreshMs: 30_000 });
        const b = await w.ring({ siteRefreshMs: 30_000 });
        const linksB = await b.links(ACME);
        expect(linksB.isPrivate('garage-de-vries')).toBe(false);
        await a.learnPrivateSites(ACME, ['garage-de-vries']);
        expect((await a.links(ACME)).isPrivate('garage-de-vries')).toBe(true);
        w.now += 29_999;
        expect((await b.links(ACME)).isPrivate('garage-de-vries')).toBe(false);
        w.now += 1;
        const refreshed = await b.links(ACME);
        expect(refreshed.isPrivate('garage-de-vries')).toBe(true);
        expect(refreshed).toBe(linksB); // refreshing keeps the tokenizer (and its cache)
        const c = await w.ring();
        expect((await c.links(ACME)).isPrivate('garage-de-vries')).toBe(true);
      });
    });

    describe('token epochs (K44–K50)', () => {
      const DAY = 86_400_000;
      /** P30D windows and a P60D retention: epoch e is expired once (e + 1) × 30 d + 60 d ≤ now. */
      const SPEC = { windowMs: 30 * DAY, retentionMs: 60 * DAY };
      /** The first instant of the P30D epoch T0 falls in. */
      const START = Math.floor(T0 / SPEC.windowMs) * SPEC.windowMs;
      const E0 = epochName(Math.floor(T0 / SPEC.windowMs), SPEC.windowMs);
      const E1 = epochName(Math.floor(T0 / SPEC.windowMs) + 1, SPEC.windowMs);
      const at = (days: number) => START + days * DAY;
      const ereq = (value: string, time: number, tenant = ACME): TokenRequest => ({ subject: { tenant, kind: 'uid', value }, at: time, epoch: SPEC });

      scenario('K44 a request without an epoch keeps the subject token exactly; with one, the token is another', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        const plain = await tokenOf(ring, 'EPOCH-PIN', at(1));
        const [current] = await ring.currentTokens(ACME, [card('EPOCH-PIN')]);
        expect(current!.token).toBe(plain);
        const [epochal] = await ring.tokens([ereq('EPOCH-PIN', at(1))]);
        expect(tokenized(epochal)).not.toBe(plain);
        expect(await tokenOf(ring, 'EPOCH-PIN', at(41))).toBe(plain); // no window: time never changes a token
        expect(await tokenOf(await w.ring(), 'EPOCH-PIN', at(1))).toBe(plain);
      });

      scenario('K45 the same card 10 days apart in one P30D epoch gets one token; 40 days apart, two unlinkable tokens', async (w) => {
        w.now = at(45);
        const a = await w.ring();
        const [d1, d11, d41] = (await a.tokens([ereq('04A1B2C3', at(1)), ereq('04A1B2C3', at(11)), ereq('04A1B2C3', at(41))])).map(tokenized);
        expect(d11).toBe(d1);
        expect(d41).not.toBe(d1);
        expect(d1).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const [other] = await a.tokens([ereq('04A1B2C4', at(1))]);
        expect(tokenized(other)).not.toBe(d1);
        // Another instance: the same epoch secret (created once, K47), so the same tokens.
        const b = await w.ring();
        expect((await b.tokens([ereq('04A1B2C3', at(29)), ereq('04A1B2C3', at(31))])).map(tokenized)).toEqual([d1, d41]);
        expect((await a.epochs(ACME)).map((e) => e.name).sort()).toEqual([E0, E1].sort());
      });

      scenario('K46 an event of an expired epoch is EXPIRED: no token, no subject key, no epoch secret created', async (w) => {
        w.now = at(90);
        const ring = await w.ring();
        const [old, fresh] = await ring.tokens([ereq('LATE-CARD', at(29)), ereq('LATE-CARD', at(31))]);
        expect(old).toEqual({ status: 'EXPIRED' });
        tokenized(fresh);
        expect((await ring.epochs(ACME)).map((e) => e.name)).toEqual([E1]);
        expect(ring.stats().keysCreated).toBe(1); // for the live epoch's event only
        const [none] = await ring.tokens([ereq('NEVER-SEEN', at(10))]);
        expect(none).toEqual({ status: 'EXPIRED' });
        expect(ring.stats().keysCreated).toBe(1);
        const [noTime] = await ring.tokens([ereq('LATE-CARD', Number.NaN)]);
        expect(noTime).toEqual({ status: 'EXPIRED' });
      });

      scenario('K48 after destroy-expired, replaying the older events gives EXPIRED and never a token; the newer keep theirs', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        const [, newer] = (await ring.tokens([ereq('REPLAY', at(5)), ereq('REPLAY', at(35))])).map(tokenized);
        w.now = at(90); // E0 ends at day 30: 60 days of retention are over
        const expired = expiredEpochNames(await ring.epochs(ACME), SPEC.retentionMs, w.now);
        expect(expired).toEqual([E0]);
        const done = await ring.destroyEpochs(ACME, expired, w.now);
        expect(done).toEqual({ tenant: ACME, destroyed: [E0], destroyedAt: w.now });
        expect(await ring.epochs(ACME)).toEqual(expect.arrayContaining([{ name: E0, destroyedAt: w.now }, { name: E1, destroyedAt: null }]));
        // Even with a retention that would keep it, a destroyed epoch never comes back (nor is it re-created).
        const longer = { windowMs: SPEC.windowMs, retentionMs: 3650 * DAY };
        const replay = await ring.tokens([{ ...ereq('REPLAY', at(5)), epoch: longer }, ereq('REPLAY', at(35)), { ...ereq('NEW-IN-E0', at(6)), epoch: longer }]);
        expect(replay).toEqual([{ status: 'EXPIRED' }, { status: 'TOKENIZED', token: newer }, { status: 'EXPIRED' }]);
        const other = await w.ring();
        expect(await other.tokens([{ ...ereq('REPLAY', at(5)), epoch: longer }])).toEqual([{ status: 'EXPIRED' }]);
        expect((await ring.destroyEpochs(ACME, expired, w.now + 1)).destroyed).toEqual([]); // idempotent
        expect((await ring.epochs(ACME)).find((e) => e.name === E0)!.destroyedAt).toBe(w.now);
      });

      scenario('K48 an epoch destroyed before it was ever used is never created by a late event', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        await ring.destroyEpochs(ACME, [E0], w.now);
        expect(await ring.tokens([ereq('NEVER', at(3))])).toEqual([{ status: 'EXPIRED' }]);
        expect(await ring.epochs(ACME)).toEqual([{ name: E0, destroyedAt: w.now }]);
      });

      scenario('K50 another instance stops using a destroyed epoch within the cache TTL', async (w) => {
        w.now = at(45);
        const [a, b] = [await w.ring(), await w.ring()];
        const token = tokenized((await b.tokens([ereq('TTL-CARD', at(5))]))[0]);
        await a.destroyEpochs(ACME, [E0], w.now);
        expect(await a.tokens([ereq('TTL-CARD', at(5))])).toEqual([{ status: 'EXPIRED' }]);
        expect(tokenized((await b.tokens([ereq('TTL-CARD', at(5))]))[0])).toBe(token); // cached secret, within the TTL
        w.now += TTL;
        expect(await b.tokens([ereq('TTL-CARD', at(5))])).toEqual([{ status: 'EXPIRED' }]);
      });

      scenario('K50 a restore from before a destruction brings the secret back; re-applying the journal destroys it again', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        await ring.tokens([ereq('RESTORED', at(5)), ereq('RESTORED', at(35))]);
        const backup = await w.store.backup();
        const journal = await ring.destroyEpochs(ACME, [E0], w.now);
        const destroyedContents = await w.store.contents();
        await w.store.restore(backup);
        expect(await w.store.contents()).not.toEqual(destroyedContents); // the backup holds E0's wrapped secret
        // reapply-tombstones re-destroys every epoch the journal holds, before pseudonymizers resume (K32).
        expect((await ring.destroyEpochs(journal.tenant, journal.destroyed, journal.destroyedAt)).destroyed).toEqual([E0]);
        expect(await w.store.contents()).toEqual(destroyedContents);
        const fresh = await w.ring();
        const longer = { windowMs: SPEC.windowMs, retentionMs: 3650 * DAY };
        expect(await fresh.tokens([{ ...ereq('RESTORED', at(5)), epoch: longer }])).toEqual([{ status: 'EXPIRED' }]);
      });

      scenario('K45 K15 an erasure receipt retires the subject token and its token in every live epoch', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        const [e0, e1] = (await ring.tokens([ereq('ERASE-EPOCHS', at(5)), ereq('ERASE-EPOCHS', at(35))])).map(tokenized);
        const { retiredTokens } = await ring.erase(ACME, [card('ERASE-EPOCHS')], { requestId: 'epochs-erase', erasedAt: w.now });
        expect(retiredTokens).toEqual(expect.arrayContaining([e0, e1]));
        expect(await ring.tokens([ereq('ERASE-EPOCHS', at(35))])).toEqual([{ status: 'ERASED' }]);
      });

      scenario('K52 tokensByEpoch lists a subject token in every live epoch, oldest first, and nothing of a destroyed one', async (w) => {
        w.now = at(45);
        const ring = await w.ring();
        expect(await ring.tokensByEpoch(ACME, [card('PORTABLE')])).toEqual([{ token: null, restricted: false, erasedAt: null, tokens: [] }]);
        const [e1, e0] = (await ring.tokens([ereq('PORTABLE', at(35)), ereq('PORTABLE', at(5))])).map(tokenized);
        const keysBefore = ring.stats().keysCreated;
        const [portable, never] = await (await w.ring()).tokensByEpoch(ACME, [card('PORTABLE'), card('NEVER-PORTED')]);
        expect(portable).toEqual({ token: e1, restricted: false, erasedAt: null, tokens: [{ epoch: E0, token: e0 }, { epoch: E1, token: e1 }] });
        expect(never!.tokens).toEqual([]);
        await ring.destroyEpochs(ACME, [E0], w.now);
        expect((await ring.tokensByEpoch(ACME, [card('PORTABLE')]))[0]!.tokens).toEqual([{ epoch: E1, token: e1 }]);
        expect(ring.stats().keysCreated).toBe(keysBefore);
        // A tenant without epochs: the one token analytics holds.
        const plain = await tokenOf(ring, 'PORTABLE', T0, 'uid', VOLTWAY);
        expect((await ring.tokensByEpoch(VOLTWAY, [card('PORTABLE')]))[0]!.tokens).toEqual([{ epoch: null, token: plain }]);
      });

      scenario('K23 K45 currentTokens with an epoch shows the current epoch token and its name, creating nothing', async (w) => {
        w.now = at(35);
        const ring = await w.ring();
        const [before] = await ring.currentTokens(ACME, [card('ACCESS-EPOCH')], SPEC);
        expect(before).toMatchObject({ token: null, epoch: E1 });
        expect(await ring.epochs(ACME)).toEqual([]);
        const token = tokenized((await ring.tokens([ereq('ACCESS-EPOCH', at(34))]))[0]);
        const [after] = await (await w.ring()).currentTokens(ACME, [card('ACCESS-EPOCH')], SPEC);
        expect(after).toMatchObject({ token, epoch: E1, restricted: false, erasedAt: null });
      });
    });
  });
}

/**
 * The conformance suite over the in-memory key ring. "Another instance" is another engine over the same store
 * and key sets, as another process shares Redis and KMS; only `close` stops the shared store.
 */
/** A wrapped key (base64) with its first byte's lowest bit flipped: still well-formed, no longer authentic. */
export function flipFirstByte(wrapped: string): string {
  const bytes = Buffer.from(wrapped, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  return bytes.toString('base64');
}

export async function openMemoryConformanceStore(): Promise<ConformanceStore> {
  const store = new MemorySubjectStore();
  const keySets = new MemoryKeySets();
  const shared: SubjectStore = {
    start: async () => {},
    stop: async () => {},
    subjects: (batches) => store.subjects(batches),
    readErasure: (tenant, requestId, blindIndexes) => store.readErasure(tenant, requestId, blindIndexes),
    erase: (tenant, write) => store.erase(tenant, write),
    applyTombstones: (records, now) => store.applyTombstones(records, now),
    recordCooccurrence: (writes, now) => store.recordCooccurrence(writes, now),
    readCooccurrence: (tenant, blindIndexes, now) => store.readCooccurrence(tenant, blindIndexes, now),
    readStates: (tenant, blindIndexes) => store.readStates(tenant, blindIndexes),
    privateSites: (tenant) => store.privateSites(tenant),
    addPrivateSites: (tenant, hashes) => store.addPrivateSites(tenant, hashes),
    epochSecrets: (batches) => store.epochSecrets(batches),
    destroyEpochs: (tenant, names, at) => store.destroyEpochs(tenant, names, at),
    listEpochs: (tenant) => store.listEpochs(tenant),
  };
  const sharedKeySets: KeySetSource = { load: (tenant) => keySets.load(tenant), stop: async () => {} };
  const rings: KeyRing[] = [];
  return {
    async ring(options) {
      const ring = new KeyRingEngine(shared, sharedKeySets, new Instruments(), {
        cacheSize: 100_000,
        cacheTtlMs: options.cacheTtlMs ?? 60_000,
        keySetRefreshMs: 3_600_000,
        clock: options.clock,
        logger: options.logger,
        siteRefreshMs: options.siteRefreshMs,
      });
      rings.push(ring);
      await ring.start();
      return ring;
    },
    backup: async () => store.snapshot(),
    restore: async (backup) => store.restore(backup as MemorySnapshot),
    restoreRecords: async (backup) => store.restoreRecords((backup as MemorySnapshot).records),
    contents: async () => ({ ...store.snapshot(), sites: [await store.privateSites(ACME), await store.privateSites(VOLTWAY)] }),
    tombstone: async (tenant, blindIndex) => store.snapshot().tombstones.get(`${tenant}\0${blindIndex}`) ?? null,
    recordGenerations: async (tenant) =>
      [...store.snapshot().records]
        .filter(([key]) => key.startsWith(`${tenant}\0`))
        .map(([, record]) => record.generation)
        .sort((a, b) => a - b),
    privateSites: (tenant) => store.privateSites(tenant),
    async corruptWrappedKeys(tenant) {
      const records = store.snapshotRecords();
      for (const [key, record] of records) if (key.startsWith(`${tenant}\0`)) record.wrapped = flipFirstByte(record.wrapped);
      store.restoreRecords(records);
    },
    async close() {
      for (const ring of rings) await ring.stop();
      await store.stop();
      await keySets.stop();
    },
  };
}
