import { AmpsealError } from '@ampseal/core';
import fc from 'fast-check';
import { SubjectCache, blindIndexHash } from './cache';

const ACME = 'acme-cpo';
const VOLTWAY = 'voltway-cpo';

function ids(n: number, token: string | null = `tok-${n}`) {
  return { blindIndex: `bi-${n}`, token };
}

describe('SubjectCache (K14)', () => {
  it('returns what was set, by subject', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(ACME, 'uid', 'A', ids(1), 'v1', 0);
    expect(cache.get(ACME, 'uid', 'A', 1)).toBe('v1');
    expect(cache.get(ACME, 'group', 'A', 1)).toBeUndefined();
    expect(cache.get(VOLTWAY, 'uid', 'A', 1)).toBeUndefined();
    expect(cache.get(ACME, 'uid', 'a', 1)).toBeUndefined();
  });

  it('K14 is bounded: evicts the least recently used entry, a get refreshes recency', () => {
    const cache = new SubjectCache<number>(3, 1000);
    for (let i = 1; i <= 3; i++) cache.set(ACME, 'uid', `k${i}`, ids(i), i, 0);
    expect(cache.get(ACME, 'uid', 'k1', 0)).toBe(1); // k2 is now the least recently used
    cache.set(ACME, 'uid', 'k4', ids(4), 4, 0);
    expect(cache.size).toBe(3);
    expect(cache.get(ACME, 'uid', 'k2', 0)).toBeUndefined();
    expect(cache.get(ACME, 'uid', 'k1', 0)).toBe(1);
    expect(cache.get(ACME, 'uid', 'k3', 0)).toBe(3);
    expect(cache.get(ACME, 'uid', 'k4', 0)).toBe(4);
    // and the evicted entry's handles are gone too
    expect(cache.evictByToken(ACME, 'tok-2')).toBe(false);
    expect(cache.evictByBlindIndex(ACME, 'bi-2')).toBe(false);
  });

  it('K14 expires entries ttl after they were loaded, however often they are read', () => {
    const cache = new SubjectCache<string>(10, 100);
    cache.set(ACME, 'uid', 'k', ids(1), 'v', 1000);
    expect(cache.get(ACME, 'uid', 'k', 1050)).toBe('v');
    expect(cache.get(ACME, 'uid', 'k', 1099)).toBe('v');
    expect(cache.get(ACME, 'uid', 'k', 1100)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.evictByToken(ACME, 'tok-1')).toBe(false);
  });

  it('K14 evicts by token and by blind index, scoped by tenant', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(ACME, 'uid', 'a', ids(1), 'a', 0);
    cache.set(ACME, 'uid', 'b', ids(2), 'b', 0);
    cache.set(VOLTWAY, 'uid', 'c', { blindIndex: 'bi-3', token: 'tok-3' }, 'c', 0);
    expect(cache.evictByToken(VOLTWAY, 'tok-1')).toBe(false);
    expect(cache.evictByToken(ACME, 'tok-1')).toBe(true);
    expect(cache.get(ACME, 'uid', 'a', 0)).toBeUndefined();
    expect(cache.evictByBlindIndex(VOLTWAY, 'bi-2')).toBe(false);
    expect(cache.evictByBlindIndex(ACME, 'bi-2')).toBe(true);
    expect(cache.get(ACME, 'uid', 'b', 0)).toBeUndefined();
    expect(cache.get(VOLTWAY, 'uid', 'c', 0)).toBe('c');
    expect(cache.size).toBe(1);
  });

  it('K14 caches tombstones (entries with no token) and evicts them by blind index', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(ACME, 'uid', 't', ids(1, null), 'tombstone', 0);
    expect(cache.get(ACME, 'uid', 't', 0)).toBe('tombstone');
    expect(cache.evictByToken(ACME, 'tok-1')).toBe(false);
    expect(cache.evictByBlindIndex(ACME, 'bi-1')).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('replacing an entry drops the old token handle', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(ACME, 'uid', 'k', ids(1, 'old'), 'gen1', 0);
    cache.set(ACME, 'uid', 'k', ids(1, 'new'), 'gen2', 0);
    expect(cache.size).toBe(1);
    expect(cache.evictByToken(ACME, 'old')).toBe(false);
    expect(cache.evictByToken(ACME, 'new')).toBe(true);
  });

  it('K21 an eviction of the tenant while a lookup was in flight keeps its answer out of the cache', () => {
    const cache = new SubjectCache<string>(10, 1000);
    const before = cache.epoch(ACME);
    expect(cache.evictByToken(ACME, 'tok-9')).toBe(false); // found nothing, still counts
    cache.set(ACME, 'uid', 'k', ids(1), 'late', 0, before);
    expect(cache.get(ACME, 'uid', 'k', 0)).toBeUndefined();
    cache.set(ACME, 'uid', 'k', ids(1), 'fresh', 0, cache.epoch(ACME));
    expect(cache.get(ACME, 'uid', 'k', 0)).toBe('fresh');
    // another tenant's evictions do not hold this tenant's answers back
    const acme = cache.epoch(ACME);
    cache.evictTenant(VOLTWAY);
    cache.set(ACME, 'uid', 'k2', ids(2), 'other', 0, acme);
    expect(cache.get(ACME, 'uid', 'k2', 0)).toBe('other');
  });

  it('a blind-index hash two subjects share never evicts on set; evicting by either drops both', () => {
    // Two distinct strings with one 30-bit hash (found by a birthday search over `bi-<base36>`).
    const [a, b] = ['bi-5uzx', 'bi-g2ad'];
    expect(a).not.toBe(b);
    expect(blindIndexHash(a)).toBe(blindIndexHash(b));
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(ACME, 'uid', 'x', { blindIndex: a, token: 'tx' }, 'x', 0);
    cache.set(ACME, 'uid', 'y', { blindIndex: b, token: 'ty' }, 'y', 0);
    expect(cache.size).toBe(2);
    cache.delete(ACME, 'uid', 'y'); // unlinks the chain's head
    expect(cache.evictByBlindIndex(ACME, a)).toBe(true);
    expect(cache.size).toBe(0);
    cache.set(ACME, 'uid', 'x', { blindIndex: a, token: 'tx' }, 'x', 0);
    cache.set(ACME, 'uid', 'y', { blindIndex: b, token: 'ty' }, 'y', 0);
    cache.set(ACME, 'uid', 'z', { blindIndex: 'bi-z', token: 'tz' }, 'z', 0);
    expect(cache.evictByBlindIndex(ACME, b)).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.get(ACME, 'uid', 'z', 0)).toBe('z');
  });

  it('evicts a whole tenant, keeps the list consistent under churn', () => {
    const cache = new SubjectCache<number>(50, 1000);
    for (let i = 0; i < 2000; i++) {
      const tenant = i % 2 === 0 ? ACME : VOLTWAY;
      const kind = i % 3 === 0 ? 'uid' : 'emaid';
      cache.set(tenant, kind, `k${i % 70}`, { blindIndex: `b${i % 70}`, token: `t${i}` }, i, 0);
      if (i % 3 === 0) cache.get(ACME, 'uid', `k${(i * 7) % 70}`, 0);
      if (i % 11 === 0) cache.delete(VOLTWAY, 'emaid', `k${(i * 5) % 70}`);
      if (i % 13 === 0) cache.evictByBlindIndex(ACME, `b${i % 70}`);
      if (i % 17 === 0) cache.evictByToken(VOLTWAY, `t${i - 4}`);
    }
    expect(cache.size).toBeLessThanOrEqual(50);
    const before = cache.size;
    const evicted = cache.evictTenant(ACME);
    expect(cache.size).toBe(before - evicted);
    expect(cache.evictTenant(VOLTWAY)).toBe(before - evicted);
    expect(cache.size).toBe(0);
    // every slot went back to the free list: the cache fills again to its bound
    for (let i = 0; i < 60; i++) cache.set(ACME, 'uid', `n${i}`, ids(i), i, 0);
    expect(cache.size).toBe(50);
    expect(cache.get(ACME, 'uid', 'n59', 0)).toBe(59);
    expect(cache.get(ACME, 'uid', 'n9', 0)).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get(ACME, 'uid', 'n59', 0)).toBeUndefined();
    cache.set(ACME, 'uid', 'again', ids(1), 1, 0);
    expect(cache.get(ACME, 'uid', 'again', 0)).toBe(1);
  });

  it('holds more entries than one slab growth step', () => {
    const cache = new SubjectCache<number>(5000, 1000);
    for (let i = 0; i < 6000; i++) cache.set(ACME, 'uid', `v${i}`, ids(i), i, 0);
    expect(cache.size).toBe(5000);
    expect(cache.get(ACME, 'uid', 'v999', 0)).toBeUndefined();
    expect(cache.get(ACME, 'uid', 'v1000', 0)).toBe(1000);
    expect(cache.get(ACME, 'uid', 'v5999', 0)).toBe(5999);
    expect(cache.evictByToken(ACME, 'tok-3000')).toBe(true);
    expect(cache.size).toBe(4999);
  });

  it('finds a subject by a value that is a slice of a longer string', () => {
    const cache = new SubjectCache<string>(10, 1000);
    const record = `{"idTag":"04A2B3C4D5E6F7","other":"${'x'.repeat(200)}"}`;
    cache.set(ACME, 'uid', record.slice(10, 24), ids(1), 'v', 0);
    expect(cache.get(ACME, 'uid', '04A2B3C4D5E6F7', 0)).toBe('v');
    const lone = 'AB\ud800CD';
    cache.set(ACME, 'uid', lone, ids(2), 'lone', 0);
    expect(cache.get(ACME, 'uid', lone, 0)).toBe('lone');
    expect(cache.delete(ACME, 'uid', lone)).toBe(true);
  });

  it('rejects a size or ttl that cannot bound anything', () => {
    expect(() => new SubjectCache(0, 1000)).toThrow(AmpsealError);
    expect(() => new SubjectCache(10, 0)).toThrow(AmpsealError);
  });

  it('behaves like a plain list of entries under any sequence of operations', () => {
    // The reference: the cache's contract written naively (most recent first, linear scans).
    interface Ref {
      tenant: string;
      kind: string;
      value: string;
      blindIndex: string;
      token: string | null;
      cached: number;
      expiresAt: number;
    }
    const TENANTS = [ACME, VOLTWAY];
    const KINDS = ['uid', 'emaid'];
    const subject = { s: fc.nat(3), k: fc.nat(1), t: fc.nat(1) };
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), ...subject, tok: fc.option(fc.nat(6)), epochLag: fc.boolean() }) },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('get' as const), ...subject }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), ...subject }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('byToken' as const), t: fc.nat(1), tok: fc.nat(6) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('byBlindIndex' as const), ...subject }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('tenant' as const), t: fc.nat(1) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.nat(40) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { minLength: 10, maxLength: 150, size: 'max' }), (max, ops) => {
        const cache = new SubjectCache<number>(max, 100);
        let ref: Ref[] = [];
        const epochs = new Map<string, number>();
        let now = 0;
        let n = 0;
        const bump = (tenant: string) => epochs.set(tenant, (epochs.get(tenant) ?? 0) + 1);
        for (const o of ops) {
          if (o.op === 'tick') {
            now += o.ms;
            continue;
          }
          const tenant = TENANTS[o.t]!;
          if (o.op === 'tenant') {
            bump(tenant);
            const before = ref.length;
            ref = ref.filter((e) => e.tenant !== tenant);
            expect(cache.evictTenant(tenant)).toBe(before - ref.length);
          } else if (o.op === 'byToken') {
            bump(tenant);
            const before = ref.length;
            ref = ref.filter((e) => !(e.tenant === tenant && e.token === `tok${o.tok}`));
            expect(cache.evictByToken(tenant, `tok${o.tok}`)).toBe(ref.length < before);
          } else {
            const kind = KINDS[o.k]!;
            const value = `v${o.s}`;
            // A blind index is a function of (tenant, kind, value), as the key ring's is.
            const blindIndex = `${tenant}/${kind}/${value}`;
            const same = (e: Ref) => e.tenant === tenant && e.kind === kind && e.value === value;
            if (o.op === 'byBlindIndex') {
              bump(tenant);
              const before = ref.length;
              ref = ref.filter((e) => !(e.tenant === tenant && e.blindIndex === blindIndex));
              expect(cache.evictByBlindIndex(tenant, blindIndex)).toBe(ref.length < before);
            } else if (o.op === 'delete') {
              const before = ref.length;
              ref = ref.filter((e) => !same(e));
              expect(cache.delete(tenant, kind, value)).toBe(ref.length < before);
            } else if (o.op === 'get') {
              const at = ref.findIndex(same);
              let expected: number | undefined;
              if (at >= 0 && ref[at]!.expiresAt <= now) ref.splice(at, 1);
              else if (at >= 0) {
                const [e] = ref.splice(at, 1);
                ref.unshift(e!);
                expected = e!.cached;
              }
              expect(cache.get(tenant, kind, value, now)).toBe(expected);
            } else {
              const token = o.tok === null ? null : `tok${o.tok}`;
              const epoch = (epochs.get(tenant) ?? 0) - (o.epochLag ? 1 : 0);
              const cached = n++;
              cache.set(tenant, kind, value, { blindIndex, token }, cached, now, epoch);
              if (epoch === (epochs.get(tenant) ?? 0)) {
                ref = ref.filter((e) => !same(e) && !(token !== null && e.tenant === tenant && e.token === token));
                ref.unshift({ tenant, kind, value, blindIndex, token, cached, expiresAt: now + 100 });
                ref = ref.slice(0, max);
              }
            }
          }
          expect(cache.size).toBe(ref.length);
        }
        // Whatever the reference still holds (oldest first, so reading does not reorder what is left to read).
        for (const e of [...ref].reverse()) expect(cache.get(e.tenant, e.kind, e.value, now)).toBe(e.expiresAt <= now ? undefined : e.cached);
      }),
      { numRuns: 200 },
    );
  });
});
