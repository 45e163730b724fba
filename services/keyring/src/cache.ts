import { AmpsealError } from '@ampseal/core';
/**
 * Bounded LRU + TTL cache of subject states (SPEC K14). Plain Maps plus an intrusive doubly linked list, so
 * get, set and every eviction are O(1) and a hit allocates nothing: the cached path must sustain well over
 * 500k lookups/s on one core.
 *
 * Entries are looked up by subject (tenant, kind, normalized value) and can be evicted by blind index or by
 * token, the two handles an erasure receipt or a shredder has. The TTL runs from load, not from last use,
 * so an instance that missed an eviction converges within `ttlMs`.
 */
interface Node<V> {
  key: string;
  tenant: string;
  byBlindIndex: string;
  byToken: string | null;
  value: V;
  expiresAt: number;
  prev: Node<V> | null;
  next: Node<V> | null;
}

export interface CacheIds {
  readonly tenant: string;
  /** Blind index (base64url). Kept only as an eviction handle, never exposed. */
  readonly blindIndex: string;
  /** The live token, when the subject has one. */
  readonly token: string | null;
}

/** The lookup key of a subject. Tenants never contain NUL (K24) and kinds never do, so it is unambiguous. */
export function subjectCacheKey(tenant: string, kind: string, value: string): string {
  return `${tenant}\0${kind}\0${value}`;
}

export class SubjectCache<V> {
  private readonly bySubject = new Map<string, Node<V>>();
  private readonly byBlindIndex = new Map<string, Node<V>>();
  private readonly byToken = new Map<string, Node<V>>();
  /**
   * Eviction epochs per tenant (SPEC K21): every eviction call bumps its tenant's epoch, whether it found an entry or
   * not. A miss-path lookup takes the epoch before it goes to Redis and caches its answer only if no eviction came in
   * between: a receipt handled while the lookup was in flight evicted nothing (the subject was not cached yet), and
   * caching the lookup's answer afterwards would keep the retired token for a whole TTL.
   */
  private readonly epochs = new Map<string, number>();
  // Most recently used at head, eviction from tail.
  private head: Node<V> | null = null;
  private tail: Node<V> | null = null;

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new AmpsealError('CONFIG_INVALID', 'cache size must be a positive integer');
    if (!(ttlMs > 0)) throw new AmpsealError('CONFIG_INVALID', 'cache TTL must be positive');
  }

  get size(): number {
    return this.bySubject.size;
  }

  /** The value of a live entry, marked most recently used; undefined when absent or expired. */
  get(key: string, now: number): V | undefined {
    const node = this.bySubject.get(key);
    if (node === undefined) return undefined;
    if (node.expiresAt <= now) {
      this.remove(node);
      return undefined;
    }
    if (node !== this.head) this.moveToHead(node);
    return node.value;
  }

  /** The tenant's eviction epoch: take it before a lookup, pass it to `set`. */
  epoch(tenant: string): number {
    return this.epochs.get(tenant) ?? 0;
  }

  private bump(tenant: string): void {
    this.epochs.set(tenant, this.epoch(tenant) + 1);
  }

  /** Caches `value`, unless `epoch` (taken before the lookup) is older than the tenant's: an eviction came between. */
  set(key: string, ids: CacheIds, value: V, now: number, epoch?: number): void {
    if (epoch !== undefined && epoch !== this.epoch(ids.tenant)) return;
    const existing = this.bySubject.get(key);
    if (existing !== undefined) this.remove(existing);
    const node: Node<V> = {
      key,
      tenant: ids.tenant,
      byBlindIndex: `${ids.tenant}\0${ids.blindIndex}`,
      byToken: ids.token === null ? null : `${ids.tenant}\0${ids.token}`,
      value,
      expiresAt: now + this.ttlMs,
      prev: null,
      next: this.head,
    };
    if (this.head !== null) this.head.prev = node;
    this.head = node;
    if (this.tail === null) this.tail = node;
    this.bySubject.set(key, node);
    // A stale entry for the same blind index or token (older generation) goes first: one entry per handle.
    this.removeKey(this.byBlindIndex.get(node.byBlindIndex));
    this.byBlindIndex.set(node.byBlindIndex, node);
    if (node.byToken !== null) {
      this.removeKey(this.byToken.get(node.byToken));
      this.byToken.set(node.byToken, node);
    }
    while (this.bySubject.size > this.maxEntries && this.tail !== null) this.remove(this.tail);
  }

  delete(key: string): boolean {
    const node = this.bySubject.get(key);
    if (node === undefined) return false;
    this.remove(node);
    return true;
  }

  evictByToken(tenant: string, token: string): boolean {
    this.bump(tenant);
    const node = this.byToken.get(`${tenant}\0${token}`);
    if (node === undefined) return false;
    this.remove(node);
    return true;
  }

  evictByBlindIndex(tenant: string, blindIndex: string): boolean {
    this.bump(tenant);
    const node = this.byBlindIndex.get(`${tenant}\0${blindIndex}`);
    if (node === undefined) return false;
    this.remove(node);
    return true;
  }

  /** Drops every entry of a tenant (its key set changed). O(n): happens only on a key-set change. */
  evictTenant(tenant: string): number {
    this.bump(tenant);
    let evicted = 0;
    for (const node of this.bySubject.values()) {
      if (node.tenant === tenant) {
        this.remove(node);
        evicted++;
      }
    }
    return evicted;
  }

  clear(): void {
    this.bySubject.clear();
    this.byBlindIndex.clear();
    this.byToken.clear();
    this.head = this.tail = null;
  }

  private removeKey(node: Node<V> | undefined): void {
    if (node !== undefined) this.remove(node);
  }

  private remove(node: Node<V>): void {
    if (this.bySubject.get(node.key) !== node) return;
    this.bySubject.delete(node.key);
    if (this.byBlindIndex.get(node.byBlindIndex) === node) this.byBlindIndex.delete(node.byBlindIndex);
    if (node.byToken !== null && this.byToken.get(node.byToken) === node) this.byToken.delete(node.byToken);
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
  }

  private moveToHead(node: Node<V>): void {
    // node is not the head, so it has a prev.
    node.prev!.next = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = this.head;
    this.head!.prev = node;
    this.head = node;
  }
}
