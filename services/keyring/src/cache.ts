import { AmpsealError } from '@ampseal/core';
/**
 * Bounded LRU + TTL cache of subject states (SPEC K14). get, set and every eviction are O(1) and a hit allocates
 * nothing: the cached path must sustain well over 500k lookups/s on one core.
 *
 * Entries are looked up by subject (tenant, kind, normalized value) and can be evicted by blind index or by
 * token, the two handles an erasure receipt or a shredder has. The TTL runs from load, not from last use,
 * so an instance that missed an eviction converges within `ttlMs`.
 *
 * Memory (issue 14: ≤ 300 bytes per cached subject at 100k subjects): an entry is a slot number, not an object.
 * The LRU links, expiry, owner and blind-index handle of every slot live in typed arrays (one slab each, grown by
 * doubling up to `maxEntries`); the maps hold slot numbers (small integers, no allocation). The subject map is
 * per tenant and kind, keyed by the normalized value alone (a copy: never a slice or a concatenation that would
 * keep a larger string alive); the token map is keyed by the token string the cached value already holds; the
 * blind index is kept only as a 30-bit hash (a reference that cannot be looked up, not the index itself), found
 * through an open-addressing table of slot numbers (4 bytes a cell, at most half full) instead of a Map.
 * Clear identifiers held: the normalized value per subject, as before; nothing else.
 */

/** No slot: the end of a list. */
const NIL = -1;
const FIRST_CAPACITY = 1024;

interface TenantIndex {
  readonly id: number;
  /** Eviction epoch (SPEC K21), see `epoch`. */
  epoch: number;
  /** By kind id: normalized value → slot. */
  readonly bySubject: Array<Map<string, number> | undefined>;
  readonly byToken: Map<string, number>;
}

/** The handles an entry can be evicted by. */
export interface CacheHandles {
  /** Blind index (base64url). Kept only as a 30-bit hash, an eviction handle; never exposed. */
  readonly blindIndex: string;
  /** The live token, when the subject has one. */
  readonly token: string | null;
}

/**
 * FNV-1a of a blind index, cut to 30 bits so it is a small integer on every V8 build (no boxed number in the
 * map). Two blind indexes of a tenant share a hash with probability n/2^30 per eviction: evicting by one then
 * also drops the other's entry, which costs that subject one store lookup, never a wrong answer.
 */
export function blindIndexHash(blindIndex: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < blindIndex.length; i++) {
    h ^= blindIndex.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x3fffffff;
}

/**
 * A fresh sequential copy of a normalized value: the value the caller passes may be a slice of a larger string
 * (a whole record) or a concatenation, and a map key keeps whatever it references alive. A value that is not
 * well-formed UTF-16 (a lone surrogate) does not survive the round trip and is kept as it is.
 */
function ownCopy(value: string): string {
  const copy = Buffer.from(value, 'utf8').toString('utf8');
  return copy === value ? copy : value;
}

/**
 * One string per subject, for de-duplicating the subjects of one call (never stored in the cache). Tenants never
 * contain NUL (K24) and kinds never do, so it is unambiguous.
 */
export function subjectCacheKey(tenant: string, kind: string, value: string): string {
  return `${tenant}\0${kind}\0${value}`;
}

export class SubjectCache<V> {
  private readonly tenants = new Map<string, TenantIndex>();
  /** By tenant id. */
  private readonly tenantList: TenantIndex[] = [];
  private readonly kinds = new Map<string, number>();
  private readonly kindNames: string[] = [];

  // The slab: one element per slot.
  private capacity = 0;
  private prev = new Int32Array(0);
  /** LRU successor; for a free slot, the next free slot. */
  private next = new Int32Array(0);
  private biHash = new Int32Array(0);
  /**
   * Blind-index handle: linear probing over (hash, tenant), cells hold slot + 1 (0: empty), removal by backward
   * shift (no tombstones), at most half full. Entries of one hash sit together, so an eviction finds them all.
   */
  private biTable = new Int32Array(0);
  private biMask = 0;
  private expiresAt = new Float64Array(0);
  private tenantOf = new Int32Array(0);
  private kindOf = new Uint16Array(0);
  /** Per slot, three references: the value, the token (or null), the normalized value. */
  private refs: unknown[] = [];

  private count = 0;
  /** Slots ever handed out; slots below it that are free are on the free list. */
  private used = 0;
  private free = NIL;
  // Most recently used at head, eviction from tail.
  private head = NIL;
  private tail = NIL;

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new AmpsealError('CONFIG_INVALID', 'cache size must be a positive integer');
    if (!(ttlMs > 0)) throw new AmpsealError('CONFIG_INVALID', 'cache TTL must be positive');
  }

  get size(): number {
    return this.count;
  }

  /** The value of a live entry, marked most recently used; undefined when absent or expired. */
  get(tenant: string, kind: string, value: string, now: number): V | undefined {
    const slot = this.find(tenant, kind, value);
    if (slot === undefined) return undefined;
    if (this.expiresAt[slot]! <= now) {
      this.remove(slot);
      return undefined;
    }
    if (slot !== this.head) this.moveToHead(slot);
    return this.refs[slot * 3] as V;
  }

  /** The tenant's eviction epoch: take it before a lookup, pass it to `set`. */
  epoch(tenant: string): number {
    return this.tenants.get(tenant)?.epoch ?? 0;
  }

  /**
   * Caches `value`, unless `epoch` (taken before the lookup) is older than the tenant's: an eviction came between.
   * SPEC K21: every eviction call bumps its tenant's epoch, whether it found an entry or not. A miss-path lookup
   * takes the epoch before it goes to Redis and caches its answer only if no eviction came in between: a receipt
   * handled while the lookup was in flight evicted nothing (the subject was not cached yet), and caching the
   * lookup's answer afterwards would keep the retired token for a whole TTL.
   */
  set(tenant: string, kind: string, value: string, handles: CacheHandles, cached: V, now: number, epoch?: number): void {
    if (epoch !== undefined && epoch !== this.epoch(tenant)) return;
    const existing = this.find(tenant, kind, value);
    if (existing !== undefined) this.remove(existing);
    const t = this.tenant(tenant);
    // A stale entry for the same token (older generation) goes first: one entry per token.
    if (handles.token !== null) {
      const stale = t.byToken.get(handles.token);
      if (stale !== undefined) this.remove(stale);
    }
    while (this.count >= this.maxEntries && this.tail !== NIL) this.remove(this.tail);

    const slot = this.allocate();
    const kindId = this.kindId(kind);
    const key = ownCopy(value);
    this.tenantOf[slot] = t.id;
    this.kindOf[slot] = kindId;
    this.expiresAt[slot] = now + this.ttlMs;
    this.refs[slot * 3] = cached;
    this.refs[slot * 3 + 1] = handles.token;
    this.refs[slot * 3 + 2] = key;
    this.prev[slot] = NIL;
    this.next[slot] = this.head;
    if (this.head !== NIL) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NIL) this.tail = slot;
    this.count++;

    let bySubject = t.bySubject[kindId];
    if (bySubject === undefined) t.bySubject[kindId] = bySubject = new Map();
    bySubject.set(key, slot);
    if (handles.token !== null) t.byToken.set(handles.token, slot);
    this.biHash[slot] = blindIndexHash(handles.blindIndex);
    this.insertBlindIndex(slot);
  }

  delete(tenant: string, kind: string, value: string): boolean {
    const slot = this.find(tenant, kind, value);
    if (slot === undefined) return false;
    this.remove(slot);
    return true;
  }

  evictByToken(tenant: string, token: string): boolean {
    const t = this.bump(tenant);
    const slot = t.byToken.get(token);
    if (slot === undefined) return false;
    this.remove(slot);
    return true;
  }

  evictByBlindIndex(tenant: string, blindIndex: string): boolean {
    const t = this.bump(tenant);
    const hash = blindIndexHash(blindIndex);
    // Every entry of that hash: the subject's own, and (a 30-bit collision) any other, which is only reloaded.
    const found: number[] = [];
    if (this.biMask > 0) {
      for (let i = this.biHome(hash, t.id); this.biTable[i] !== 0; i = (i + 1) & this.biMask) {
        const slot = this.biTable[i]! - 1;
        if (this.biHash[slot] === hash && this.tenantOf[slot] === t.id) found.push(slot);
      }
    }
    for (const slot of found) this.remove(slot);
    return found.length > 0;
  }

  /** Drops every entry of a tenant (its key set changed). O(entries of the tenant): only on a key-set change. */
  evictTenant(tenant: string): number {
    const t = this.bump(tenant);
    let evicted = 0;
    for (const bySubject of t.bySubject) {
      if (bySubject === undefined) continue;
      for (const slot of [...bySubject.values()]) {
        this.remove(slot);
        evicted++;
      }
    }
    return evicted;
  }

  /** Drops every entry and returns the slab; eviction epochs are kept (an in-flight lookup must still see them). */
  clear(): void {
    for (const t of this.tenants.values()) {
      t.bySubject.length = 0;
      t.byToken.clear();
    }
    this.capacity = 0;
    this.prev = new Int32Array(0);
    this.next = new Int32Array(0);
    this.biHash = new Int32Array(0);
    this.biTable = new Int32Array(0);
    this.biMask = 0;
    this.expiresAt = new Float64Array(0);
    this.tenantOf = new Int32Array(0);
    this.kindOf = new Uint16Array(0);
    this.refs = [];
    this.count = this.used = 0;
    this.free = this.head = this.tail = NIL;
  }

  private find(tenant: string, kind: string, value: string): number | undefined {
    const kindId = this.kinds.get(kind);
    if (kindId === undefined) return undefined;
    return this.tenants.get(tenant)?.bySubject[kindId]?.get(value);
  }

  private tenant(name: string): TenantIndex {
    let t = this.tenants.get(name);
    if (t === undefined) {
      t = { id: this.tenantList.length, epoch: 0, bySubject: [], byToken: new Map() };
      this.tenants.set(name, t);
      this.tenantList.push(t);
    }
    return t;
  }

  private bump(tenant: string): TenantIndex {
    const t = this.tenant(tenant);
    t.epoch++;
    return t;
  }

  private kindId(kind: string): number {
    let id = this.kinds.get(kind);
    if (id === undefined) {
      // Kinds are the catalog's dozen; the bound only keeps a slot's kind in two bytes.
      if (this.kindNames.length === 0xffff) throw new AmpsealError('CONFIG_INVALID', 'too many identifier kinds');
      id = this.kindNames.length;
      this.kinds.set(kind, id);
      this.kindNames.push(kind);
    }
    return id;
  }

  private allocate(): number {
    if (this.free !== NIL) {
      const slot = this.free;
      this.free = this.next[slot]!;
      return slot;
    }
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, Math.max(FIRST_CAPACITY, this.capacity * 2));
    const grown = <T extends Int32Array | Uint16Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const array = make(capacity);
      array.set(old);
      return array;
    };
    this.prev = grown(this.prev, (n) => new Int32Array(n));
    this.next = grown(this.next, (n) => new Int32Array(n));
    this.biHash = grown(this.biHash, (n) => new Int32Array(n));
    this.expiresAt = grown(this.expiresAt, (n) => new Float64Array(n));
    this.tenantOf = grown(this.tenantOf, (n) => new Int32Array(n));
    this.kindOf = grown(this.kindOf, (n) => new Uint16Array(n));
    this.capacity = capacity;
    // The blind-index table: at least twice the slots, a power of two; every live slot again.
    let cells = 2;
    while (cells < capacity * 2) cells *= 2;
    this.biTable = new Int32Array(cells);
    this.biMask = cells - 1;
    for (let slot = this.head; slot !== NIL; slot = this.next[slot]!) this.insertBlindIndex(slot);
  }

  private biHome(hash: number, tenantId: number): number {
    return Math.imul(hash ^ Math.imul(tenantId, 0x9e3779b1), 0x85ebca6b) & this.biMask;
  }

  private insertBlindIndex(slot: number): void {
    let i = this.biHome(this.biHash[slot]!, this.tenantOf[slot]!);
    while (this.biTable[i] !== 0) i = (i + 1) & this.biMask;
    this.biTable[i] = slot + 1;
  }

  private removeBlindIndex(slot: number): void {
    const mask = this.biMask;
    let hole = this.biHome(this.biHash[slot]!, this.tenantOf[slot]!);
    while (this.biTable[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward shift: a later cell of the run moves into the hole when its home is not after the hole.
    for (let j = (hole + 1) & mask; this.biTable[j] !== 0; j = (j + 1) & mask) {
      const other = this.biTable[j]! - 1;
      const home = this.biHome(this.biHash[other]!, this.tenantOf[other]!);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.biTable[hole] = this.biTable[j]!;
        hole = j;
      }
    }
    this.biTable[hole] = 0;
  }

  private remove(slot: number): void {
    const t = this.tenantList[this.tenantOf[slot]!]!;
    const base = slot * 3;
    const token = this.refs[base + 1] as string | null;
    t.bySubject[this.kindOf[slot]!]!.delete(this.refs[base + 2] as string);
    if (token !== null) t.byToken.delete(token);
    this.removeBlindIndex(slot);
    const prev = this.prev[slot]!;
    const next = this.next[slot]!;
    if (prev !== NIL) this.next[prev] = next;
    else this.head = next;
    if (next !== NIL) this.prev[next] = prev;
    else this.tail = prev;
    this.refs[base] = this.refs[base + 1] = this.refs[base + 2] = undefined;
    this.next[slot] = this.free;
    this.free = slot;
    this.count--;
  }

  private moveToHead(slot: number): void {
    // slot is not the head, so it has a prev.
    const prev = this.prev[slot]!;
    const next = this.next[slot]!;
    this.next[prev] = next;
    if (next !== NIL) this.prev[next] = prev;
    else this.tail = prev;
    this.prev[slot] = NIL;
    this.next[slot] = this.head;
    this.prev[this.head] = slot;
    this.head = slot;
  }
}
