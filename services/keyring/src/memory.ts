import { createHash, randomBytes } from 'node:crypto';
import { KEY_BYTES } from './crypto';
import { KeyRingEngine } from './engine';
import { Instruments } from './instruments';
import type { KeySetSource, TenantKeySet } from './key-set';
import type { ApplyTombstonesResult, KeyRing, KeyRingLogger, TombstoneRecord } from './keyring';
import type {
  ErasureWrite,
  ErasureWriteOutcome,
  StoredErasureResult,
  SubjectOp,
  SubjectState,
  SubjectStore,
  TenantOps,
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
}

/** Everything the store holds, as a Redis backup would (test hook, K32). */
export interface MemorySnapshot {
  readonly records: ReadonlyMap<string, StoredRecord>;
  readonly tombstones: ReadonlyMap<string, Tombstone>;
  readonly erasures: ReadonlyMap<string, string>;
}

export class MemorySubjectStore implements SubjectStore {
  private readonly records = new Map<string, StoredRecord>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly erasures = new Map<string, string>();

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.records.clear();
    this.tombstones.clear();
    this.erasures.clear();
  }

  async subjects(batches: readonly TenantOps[]): Promise<SubjectState[][]> {
    return batches.map(({ tenant, ops }) => ops.map((op) => this.subject(tenant, op)));
  }

  async readErasure(
    tenant: string,
    requestId: string,
    blindIndexes: readonly string[],
  ): Promise<{ stored: StoredErasureResult | null; states: SubjectState[] }> {
    const stored = this.erasures.get(`${tenant}\0${requestId}`);
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
    const done = this.erasures.get(requestKey);
    if (done !== undefined) return { status: 'done', result: JSON.parse(done) as StoredErasureResult };
    for (const { blindIndex, generation, tombstoneGeneration, tombstoneErasedAt } of write.expected) {
      const key = `${tenant}\0${blindIndex}`;
      const tombstone = this.tombstones.get(key);
      if (
        this.usableGeneration(key) !== generation ||
        (tombstone?.generation ?? -1) !== tombstoneGeneration ||
        (tombstone?.erasedAt ?? null) !== tombstoneErasedAt
      ) {
        return { status: 'conflict' };
      }
    }
    for (const { blindIndex } of write.expected) {
      const key = `${tenant}\0${blindIndex}`;
      const live = this.usableGeneration(key);
      const tombstone = this.tombstones.get(key);
      this.records.delete(key);
      this.tombstones.set(key, {
        generation: live > 0 ? live : (tombstone?.generation ?? 0),
        erasedAt: tombstone !== undefined && tombstone.erasedAt > write.erasedAt ? tombstone.erasedAt : write.erasedAt,
        requestId: write.requestId,
      });
    }
    this.erasures.set(requestKey, JSON.stringify(write.result));
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

  /** The same steps as lua/apply.lua (K31). */
  async applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult> {
    let applied = 0;
    let keysDeleted = 0;
    for (const r of records) {
      const key = `${r.tenant}\0${r.blindIndex}`;
      let tombstone = this.tombstones.get(key);
      if (
        tombstone === undefined ||
        r.generation > tombstone.generation ||
        (r.generation === tombstone.generation && r.erasedAt > tombstone.erasedAt)
      ) {
        tombstone = { generation: r.generation, erasedAt: r.erasedAt, requestId: r.requestId };
        this.tombstones.set(key, tombstone);
        applied++;
      }
      const record = this.records.get(key);
      if (record !== undefined && record.generation <= tombstone.generation) {
        this.records.delete(key);
        keysDeleted++;
      }
    }
    return { applied, keysDeleted };
  }

  /** Test hook: everything the store holds, as a full Redis backup would (K32). */
  snapshot(): MemorySnapshot {
    return {
      records: new Map([...this.records].map(([key, record]) => [key, { ...record }])),
      tombstones: new Map([...this.tombstones].map(([key, tombstone]) => [key, { ...tombstone }])),
      erasures: new Map(this.erasures),
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
    const tombstone = this.tombstones.get(key);
    if (record === undefined) return 0;
    return tombstone === undefined || record.generation > tombstone.generation ? record.generation : 0;
  }

  /** The same steps as lua/subjects.lua (test/keyring/differential.test.ts checks that they agree). */
  private subject(tenant: string, op: SubjectOp): SubjectState {
    const key = `${tenant}\0${op.blindIndex}`;
    let record = this.records.get(key);
    const tombstone = this.tombstones.get(key);
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
}

export interface MemoryKeyRing extends KeyRing {
  /** The store, for tests that play a restored snapshot (K20). */
  readonly store: MemorySubjectStore;
}

export function createMemoryKeyRing(options: MemoryKeyRingOptions = {}): MemoryKeyRing {
  const store = new MemorySubjectStore();
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
