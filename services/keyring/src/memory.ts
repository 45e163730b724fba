import { createHash, randomBytes } from 'node:crypto';
import { KEY_BYTES } from './crypto';
import { KeyRingEngine } from './engine';
import { Instruments } from './instruments';
import type { KeySetSource, TenantKeySet } from './key-set';
import type { ApplyTombstonesResult, KeyRing, KeyRingLogger, TombstoneRecord } from './keyring';
import {
  DEFAULT_COOCCURRENCE_LIMITS,
  type CooccurrencePartner,
  type CooccurrenceWrite,
  DESTROYED_MARK,
  type EpochOps,
  type EpochSecretState,
  type StoredEpoch,
  type ErasureWrite,
  type ErasureWriteOutcome,
  type StoreLimits,
  type StoredErasureResult,
  type SubjectOp,
  type SubjectState,
  type SubjectStore,
  type TenantOps,
} from './store';

/**
 * The ephemeral key ring (file mode, unit tests): the same engine and state machine as the Redis key ring
 * (SPEC K28), with Maps instead of Redis and random in-process key sets instead of KMS. Tokens are stable
 * within one process only. Each method is synchronous inside, so it is as atomic as the Lua scripts.
 */
export interface StoredRecord {
  generation: number;
  wrapped: string;
  restricted: boolean;
}

interface Tombstone {
  generation: number;
  erasedAt: number;
  requestId: string;
  /** K41: when it is dropped (Redis: PEXPIREAT); absent for ever. */
  expiresAt?: number;
}

/** Everything the store holds, as a Redis backup would (test hook, K32). */
export interface MemorySnapshot {
  readonly records: ReadonlyMap<string, StoredRecord>;
  readonly tombstones: ReadonlyMap<string, Tombstone>;
  readonly erasures: ReadonlyMap<string, string>;
  /** K47–K49; absent in snapshots taken before epochs existed. */
  readonly epochs?: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export class MemorySubjectStore implements SubjectStore {
  private readonly records = new Map<string, StoredRecord>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly erasures = new Map<string, string>();
  private readonly erasureExpiry = new Map<string, number>();
  /** K37–K40, as cooccur.lua keeps them: per `tenant\0blindIndex`, partner member → last seen. */
  private readonly links = new Map<string, Map<string, number>>();
  private readonly linkTokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly linkIndex = new Map<string, Map<string, number>>();
  /** K47–K49, as the `epochs` hash holds them: per tenant, epoch name → wrapped secret or `x:<destroyedAt>`. */
  private readonly epochs = new Map<string, Map<string, string>>();

  constructor(
    private readonly limits: StoreLimits = {},
    private readonly clock: () => number = Date.now,
  ) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.records.clear();
    this.tombstones.clear();
    this.erasures.clear();
    this.links.clear();
    this.linkTokens.clear();
    this.linkIndex.clear();
    this.epochs.clear();
  }

  async epochSecrets(batches: readonly EpochOps[]): Promise<EpochSecretState[][]> {
    return batches.map(({ tenant, ops }) => {
      let hash = this.epochs.get(tenant);
      return ops.map(({ name, candidateWrapped }): EpochSecretState => {
        const current = hash?.get(name);
        if (current !== undefined) {
          return current.startsWith(DESTROYED_MARK) ? { status: 'destroyed', wrapped: '' } : { status: 'existing', wrapped: current };
        }
        if (candidateWrapped === '') return { status: 'absent', wrapped: '' };
        if (hash === undefined) this.epochs.set(tenant, (hash = new Map()));
        hash.set(name, candidateWrapped);
        return { status: 'created', wrapped: candidateWrapped };
      });
    });
  }

  async destroyEpochs(tenant: string, names: readonly string[], destroyedAt: number): Promise<string[]> {
    let hash = this.epochs.get(tenant);
    if (hash === undefined) this.epochs.set(tenant, (hash = new Map()));
    const destroyed: string[] = [];
    for (const name of names) {
      if (hash.get(name)?.startsWith(DESTROYED_MARK)) continue;
      hash.set(name, `${DESTROYED_MARK}${destroyedAt}`);
      destroyed.push(name);
    }
    return destroyed;
  }

  async listEpochs(tenant: string): Promise<StoredEpoch[]> {
    return [...(this.epochs.get(tenant) ?? new Map<string, string>())].map(([name, value]) => ({
      name,
      destroyedAt: value.startsWith(DESTROYED_MARK) ? Number(value.slice(DESTROYED_MARK.length)) : null,
    }));
  }

  async subjects(batches: readonly TenantOps[]): Promise<SubjectState[][]> {
    return batches.map(({ tenant, ops }) => ops.map((op) => this.subject(tenant, op)));
  }

  async readErasure(
    tenant: string,
    requestId: string,
    blindIndexes: readonly string[],
  ): Promise<{ stored: StoredErasureResult | null; states: SubjectState[] }> {
    const stored = this.erasure(`${tenant}\0${requestId}`);
    const states = blindIndexes.map((blindIndex) =>
      this.subject(tenant, {
        blindIndex,
        create: false,
        maxAt: 0,
        candidateGeneration: 0,
        candidateWrapped: '',
        setRestricted: null,
      }),
    );
    return { stored: stored === undefined ? null : (JSON.parse(stored) as StoredErasureResult), states };
  }

  /** The same steps as lua/erase.lua (K15, K16). */
  async erase(tenant: string, write: ErasureWrite): Promise<ErasureWriteOutcome> {
    const requestKey = `${tenant}\0${write.requestId}`;
    const done = this.erasure(requestKey);
    if (done !== undefined) return { status: 'done', result: JSON.parse(done) as StoredErasureResult };
    for (const { blindIndex, generation, tombstoneGeneration, tombstoneErasedAt } of write.expected) {
      const key = `${tenant}\0${blindIndex}`;
      const tombstone = this.tombstone(key);
      if (
        this.usableGeneration(key) !== generation ||
        (tombstone?.generation ?? -1) !== tombstoneGeneration ||
        (tombstone?.erasedAt ?? null) !== tombstoneErasedAt
      ) {
        return { status: 'conflict' };
      }
    }
    const lifetime = this.limits.tombstoneLifetimeMs;
    for (const { blindIndex, kind } of write.expected) {
      const key = `${tenant}\0${blindIndex}`;
      const live = this.usableGeneration(key);
      const tombstone = this.tombstone(key);
      this.records.delete(key);
      const erasedAt = tombstone !== undefined && tombstone.erasedAt > write.erasedAt ? tombstone.erasedAt : write.erasedAt;
      this.tombstones.set(key, {
        generation: live > 0 ? live : (tombstone?.generation ?? 0),
        erasedAt,
        requestId: write.requestId,
        ...(lifetime === undefined ? {} : { expiresAt: this.clock() + lifetime }),
      });
      this.unlink(tenant, `${kind}:${blindIndex}`);
    }
    this.erasures.set(requestKey, JSON.stringify(write.result));
    if (lifetime !== undefined) this.erasureExpiry.set(requestKey, this.clock() + lifetime);
    return { status: 'ok' };
  }

  /** K36: learned private-site hashes per tenant (a Redis set in redis-store.ts). */
  private readonly sites = new Map<string, Set<string>>();

  async privateSites(tenant: string): Promise<string[]> {
    return [...(this.sites.get(tenant) ?? [])];
  }

  async addPrivateSites(tenant: string, hashes: readonly string[]): Promise<void> {
    let set = this.sites.get(tenant);
    if (set === undefined) this.sites.set(tenant, (set = new Set()));
    for (const h of hashes) set.add(h);
  }

  /** The same steps as lua/apply.lua (K31, K41). */
  async applyTombstones(records: readonly TombstoneRecord[], now: number): Promise<ApplyTombstonesResult> {
    const lifetime = this.limits.tombstoneLifetimeMs;
    let applied = 0;
    let keysDeleted = 0;
    for (const r of records) {
      const key = `${r.tenant}\0${r.blindIndex}`;
      let tombstone = this.tombstone(key);
      const alive = lifetime === undefined || r.erasedAt + lifetime > now;
      if (
        alive &&
        (tombstone === undefined ||
          r.generation > tombstone.generation ||
          (r.generation === tombstone.generation && r.erasedAt > tombstone.erasedAt))
      ) {
        tombstone = {
          generation: r.generation,
          erasedAt: r.erasedAt,
          requestId: r.requestId,
          ...(lifetime === undefined ? {} : { expiresAt: r.erasedAt + lifetime }),
        };
        this.tombstones.set(key, tombstone);
        applied++;
      }
      const record = this.records.get(key);
      if (record !== undefined && tombstone !== undefined && record.generation <= tombstone.generation) {
        this.records.delete(key);
        keysDeleted++;
      }
    }
    return { applied, keysDeleted };
  }

  /** The same steps as lua/cooccur.lua (K37–K39). */
  async recordCooccurrence(writes: readonly CooccurrenceWrite[], now: number): Promise<void> {
    const { ttlMs, maxLinksPerSubject, maxSubjectsPerTenant } = this.limits.cooccurrence ?? DEFAULT_COOCCURRENCE_LIMITS;
    const cutoff = now - ttlMs;
    for (const { tenant, entries } of writes) {
      if (entries.length === 0) continue;
      let index = this.linkIndex.get(tenant);
      if (index === undefined) this.linkIndex.set(tenant, (index = new Map()));
      for (const e of entries) {
        const member = `${e.kind}:${e.blindIndex}`;
        const set = this.linkSet(tenant, e.blindIndex, true)!;
        for (const p of e.partners) {
          set.delete(`${p.kind}:${p.blindIndex}`); // re-inserted: Map order is the ZSET's order by score
          set.set(`${p.kind}:${p.blindIndex}`, now);
        }
        const ordered = [...set].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        const stale = ordered.filter(([, at]) => at < cutoff).map(([m]) => m);
        const live = ordered.filter(([, at]) => at >= cutoff);
        if (live.length > maxLinksPerSubject) stale.push(...live.slice(0, live.length - maxLinksPerSubject).map(([m]) => m));
        for (const p of stale) {
          set.delete(p);
          this.linkSet(tenant, p.slice(p.indexOf(':') + 1), false)?.delete(member);
        }
        this.linkTokens.set(`${tenant}\0${e.blindIndex}`, { token: e.token, expiresAt: now + ttlMs });
        index.delete(member);
        index.set(member, now);
      }
      for (const [member, at] of index) if (at < cutoff) index.delete(member);
      const excess = index.size - maxSubjectsPerTenant;
      if (excess > 0) {
        const oldest = [...index].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, excess);
        for (const [member] of oldest) this.unlink(tenant, member);
      }
    }
  }

  async readCooccurrence(tenant: string, blindIndexes: readonly string[], now: number): Promise<CooccurrencePartner[][]> {
    const { ttlMs } = this.limits.cooccurrence ?? DEFAULT_COOCCURRENCE_LIMITS;
    return blindIndexes.map((bi) =>
      [...(this.linkSet(tenant, bi, false) ?? [])]
        .filter(([, at]) => at >= now - ttlMs)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1))
        .map(([member, lastSeen]) => {
          const blindIndex = member.slice(member.indexOf(':') + 1);
          const token = this.linkTokens.get(`${tenant}\0${blindIndex}`);
          return { kind: member.slice(0, member.indexOf(':')), blindIndex, lastSeen, token: token !== undefined && token.expiresAt > now ? token.token : null };
        }),
    );
  }

  async readStates(tenant: string, blindIndexes: readonly string[]): Promise<SubjectState[]> {
    return (await this.readErasure(tenant, '\0', blindIndexes)).states;
  }

  /** Test hook: the co-occurrence sets of a tenant, as `member → partner members`. */
  cooccurrenceSets(tenant: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [key, set] of this.links) if (key.startsWith(`${tenant}\0`) && set.size > 0) out.set(key.slice(tenant.length + 1), [...set.keys()].sort());
    return out;
  }

  /** lua/unlink.lua (K40). */
  private unlink(tenant: string, member: string): void {
    const bi = member.slice(member.indexOf(':') + 1);
    for (const partner of this.linkSet(tenant, bi, false)?.keys() ?? []) {
      this.linkSet(tenant, partner.slice(partner.indexOf(':') + 1), false)?.delete(member);
    }
    this.links.delete(`${tenant}\0${bi}`);
    this.linkTokens.delete(`${tenant}\0${bi}`);
    this.linkIndex.get(tenant)?.delete(member);
  }

  private linkSet(tenant: string, blindIndex: string, create: boolean): Map<string, number> | undefined {
    const key = `${tenant}\0${blindIndex}`;
    let set = this.links.get(key);
    if (set === undefined && create) this.links.set(key, (set = new Map()));
    return set;
  }

  /** K41: a tombstone past its lifetime is gone, as Redis expires it. */
  private tombstone(key: string): Tombstone | undefined {
    const tombstone = this.tombstones.get(key);
    if (tombstone?.expiresAt !== undefined && tombstone.expiresAt <= this.clock()) {
      this.tombstones.delete(key);
      return undefined;
    }
    return tombstone;
  }

  private erasure(key: string): string | undefined {
    const expiry = this.erasureExpiry.get(key);
    if (expiry !== undefined && expiry <= this.clock()) {
      this.erasures.delete(key);
      this.erasureExpiry.delete(key);
    }
    return this.erasures.get(key);
  }

  /** Test hook: everything the store holds, as a full Redis backup would (K32). */
  snapshot(): MemorySnapshot {
    return {
      records: new Map([...this.records].map(([key, record]) => [key, { ...record }])),
      tombstones: new Map([...this.tombstones].map(([key, tombstone]) => [key, { ...tombstone }])),
      erasures: new Map(this.erasures),
      epochs: new Map([...this.epochs].map(([tenant, hash]) => [tenant, new Map(hash)])),
    };
  }

  /** Test hook: replaces everything with a snapshot, as restoring a full Redis backup would (K32). */
  restore(snapshot: MemorySnapshot): void {
    this.records.clear();
    this.tombstones.clear();
    this.erasures.clear();
    for (const [key, record] of snapshot.records) this.records.set(key, { ...record });
    for (const [key, tombstone] of snapshot.tombstones) this.tombstones.set(key, { ...tombstone });
    for (const [key, result] of snapshot.erasures) this.erasures.set(key, result);
    this.epochs.clear();
    for (const [tenant, hash] of snapshot.epochs ?? []) this.epochs.set(tenant, new Map(hash));
  }

  /** Test hook: the subject records as a backup would hold them (K20). */
  snapshotRecords(): Map<string, StoredRecord> {
    return new Map([...this.records].map(([key, record]) => [key, { ...record }]));
  }

  /** Test hook: writes records back as a restore would, leaving tombstones as they are (K20). */
  restoreRecords(snapshot: ReadonlyMap<string, StoredRecord>): void {
    for (const [key, record] of snapshot) this.records.set(key, { ...record });
  }

  private usableGeneration(key: string): number {
    const record = this.records.get(key);
    const tombstone = this.tombstone(key);
    if (record === undefined) return 0;
    return tombstone === undefined || record.generation > tombstone.generation ? record.generation : 0;
  }

  /** The same steps as lua/subjects.lua (test/keyring/differential.test.ts checks that they agree). */
  private subject(tenant: string, op: SubjectOp): SubjectState {
    const key = `${tenant}\0${op.blindIndex}`;
    let record = this.records.get(key);
    const tombstone = this.tombstone(key);
    if (record !== undefined && tombstone !== undefined && record.generation <= tombstone.generation) {
      this.records.delete(key); // K20: a restored record at or below its tombstone is never used
      record = undefined;
    }
    let status: SubjectState['status'] = 'absent';
    if (record !== undefined) {
      status = 'existing';
    } else if (op.create && (tombstone === undefined || op.maxAt > tombstone.erasedAt)) {
      const needed = tombstone === undefined ? 1 : tombstone.generation + 1;
      if (op.candidateGeneration !== needed) {
        status = 'conflict';
      } else {
        record = { generation: op.candidateGeneration, wrapped: op.candidateWrapped, restricted: false };
        this.records.set(key, record);
        status = 'created';
      }
    }
    let restrictedChanged = false;
    if (op.setRestricted !== null && record !== undefined && record.restricted !== op.setRestricted) {
      record.restricted = op.setRestricted;
      restrictedChanged = true;
    }
    return {
      status,
      generation: record?.generation ?? 0,
      wrapped: record?.wrapped ?? '',
      restricted: record?.restricted ?? false,
      restrictedChanged,
      tombstoneGeneration: tombstone?.generation ?? -1,
      erasedAt: tombstone?.erasedAt ?? null,
    };
  }
}

/** Random per-process key sets: what KMS + Redis are to the real key ring. */
export class MemoryKeySets implements KeySetSource {
  private readonly keySets = new Map<string, TenantKeySet>();

  async load(tenant: string): Promise<TenantKeySet> {
    let keys = this.keySets.get(tenant);
    if (keys === undefined) {
      const wrappingKey = randomBytes(KEY_BYTES);
      const indexKey = randomBytes(KEY_BYTES);
      const fingerprint = createHash('sha256').update(wrappingKey).update(indexKey).digest('hex').slice(0, 16);
      keys = { wrappingKey, indexKey, fingerprint };
      this.keySets.set(tenant, keys);
    }
    // A copy, so zeroing by the engine on stop() never reaches the source's own.
    return { wrappingKey: Buffer.from(keys.wrappingKey), indexKey: Buffer.from(keys.indexKey), fingerprint: keys.fingerprint };
  }

  async stop(): Promise<void> {
    for (const keys of this.keySets.values()) {
      keys.wrappingKey.fill(0);
      keys.indexKey.fill(0);
    }
    this.keySets.clear();
  }
}

export interface MemoryKeyRingOptions {
  readonly cacheSize?: number;
  readonly cacheTtlMs?: number;
  readonly keySetRefreshMs?: number;
  readonly logger?: KeyRingLogger;
  readonly clock?: () => number;
  readonly siteRefreshMs?: number;
  readonly limits?: StoreLimits;
}

export interface MemoryKeyRing extends KeyRing {
  /** The store, for tests that play a restored snapshot (K20). */
  readonly store: MemorySubjectStore;
}

export function createMemoryKeyRing(options: MemoryKeyRingOptions = {}): MemoryKeyRing {
  const store = new MemorySubjectStore(options.limits, options.clock);
  const engine = new KeyRingEngine(store, new MemoryKeySets(), new Instruments(), {
    cacheSize: options.cacheSize ?? 100_000,
    cacheTtlMs: options.cacheTtlMs ?? 10 * 60_000,
    keySetRefreshMs: options.keySetRefreshMs ?? 60 * 60_000,
    logger: options.logger,
    clock: options.clock,
    siteRefreshMs: options.siteRefreshMs,
  });
  return Object.assign(engine, { store });
}
