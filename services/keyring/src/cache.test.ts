import { AmpsealError } from '@ampseal/core';
import { SubjectCache, subjectCacheKey } from './cache';

function ids(n: number, token: string | null = `tok-${n}`) {
  return { tenant: 'acme-cpo', blindIndex: `bi-${n}`, token };
}

describe('SubjectCache (K14)', () => {
  it('returns what was set, by subject', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set(subjectCacheKey('acme-cpo', 'uid', 'A'), ids(1), 'v1', 0);
    expect(cache.get(subjectCacheKey('acme-cpo', 'uid', 'A'), 1)).toBe('v1');
    expect(cache.get(subjectCacheKey('acme-cpo', 'group', 'A'), 1)).toBeUndefined();
    expect(cache.get(subjectCacheKey('voltway-cpo', 'uid', 'A'), 1)).toBeUndefined();
  });

  it('K14 is bounded: evicts the least recently used entry, a get refreshes recency', () => {
    const cache = new SubjectCache<number>(3, 1000);
    for (let i = 1; i <= 3; i++) cache.set(`k${i}`, ids(i), i, 0);
    expect(cache.get('k1', 0)).toBe(1); // k2 is now the least recently used
    cache.set('k4', ids(4), 4, 0);
    expect(cache.size).toBe(3);
    expect(cache.get('k2', 0)).toBeUndefined();
    expect(cache.get('k1', 0)).toBe(1);
    expect(cache.get('k3', 0)).toBe(3);
    expect(cache.get('k4', 0)).toBe(4);
    // and the evicted entry's handles are gone too
    expect(cache.evictByToken('acme-cpo', 'tok-2')).toBe(false);
    expect(cache.evictByBlindIndex('acme-cpo', 'bi-2')).toBe(false);
  });

  it('K14 expires entries ttl after they were loaded, however often they are read', () => {
    const cache = new SubjectCache<string>(10, 100);
    cache.set('k', ids(1), 'v', 1000);
    expect(cache.get('k', 1050)).toBe('v');
    expect(cache.get('k', 1099)).toBe('v');
    expect(cache.get('k', 1100)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.evictByToken('acme-cpo', 'tok-1')).toBe(false);
  });

  it('K14 evicts by token and by blind index, scoped by tenant', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set('a', ids(1), 'a', 0);
    cache.set('b', ids(2), 'b', 0);
    cache.set('c', { tenant: 'voltway-cpo', blindIndex: 'bi-3', token: 'tok-3' }, 'c', 0);
    expect(cache.evictByToken('voltway-cpo', 'tok-1')).toBe(false);
    expect(cache.evictByToken('acme-cpo', 'tok-1')).toBe(true);
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.evictByBlindIndex('acme-cpo', 'bi-2')).toBe(true);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('c', 0)).toBe('c');
    expect(cache.size).toBe(1);
  });

  it('K14 caches tombstones (entries with no token) and evicts them by blind index', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set('t', ids(1, null), 'tombstone', 0);
    expect(cache.get('t', 0)).toBe('tombstone');
    expect(cache.evictByToken('acme-cpo', 'tok-1')).toBe(false);
    expect(cache.evictByBlindIndex('acme-cpo', 'bi-1')).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('replacing an entry drops the old token handle', () => {
    const cache = new SubjectCache<string>(10, 1000);
    cache.set('k', ids(1, 'old'), 'gen1', 0);
    cache.set('k', ids(1, 'new'), 'gen2', 0);
    expect(cache.size).toBe(1);
    expect(cache.evictByToken('acme-cpo', 'old')).toBe(false);
    expect(cache.evictByToken('acme-cpo', 'new')).toBe(true);
  });

  it('evicts a whole tenant, keeps the list consistent under churn', () => {
    const cache = new SubjectCache<number>(50, 1000);
    for (let i = 0; i < 200; i++) {
      const tenant = i % 2 === 0 ? 'acme-cpo' : 'voltway-cpo';
      cache.set(`k${i % 70}`, { tenant, blindIndex: `b${i % 70}`, token: `t${i}` }, i, 0);
      if (i % 3 === 0) cache.get(`k${(i * 7) % 70}`, 0);
      if (i % 11 === 0) cache.delete(`k${(i * 5) % 70}`);
    }
    expect(cache.size).toBeLessThanOrEqual(50);
    const before = cache.size;
    const evicted = cache.evictTenant('acme-cpo');
    expect(cache.size).toBe(before - evicted);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects a size or ttl that cannot bound anything', () => {
    expect(() => new SubjectCache(0, 1000)).toThrow(AmpsealError);
    expect(() => new SubjectCache(10, 0)).toThrow(AmpsealError);
  });
});
