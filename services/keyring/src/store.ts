import type { ApplyTombstonesResult, ErasureResult, TombstoneRecord } from './keyring';

/**
 * What the key-ring engine needs from a subject store: Redis (redis-store.ts) in production, Maps in
 * memory.ts. Both implement the same state machine (SPEC K12, K15–K20); only Redis makes it atomic across
 * processes, with Lua scripts.
 *
 * A record is *usable* when it exists and its generation is above its tombstone's (K20); anything else is
 * treated as absent, and a stale record is deleted when seen.
 */
export interface SubjectOp {
  /** Blind index, base64url. */
  readonly blindIndex: string;
  /** Create a key when there is no usable record and no tombstone at or after `maxAt` (K17). */
  readonly create: boolean;
  /** The latest event time among the batch's requests for this subject (finite, ms). */
  readonly maxAt: number;
  /** The generation the candidate key was wrapped for (K18); the store refuses a wrong guess. */
  readonly candidateGeneration: number;
  /** The candidate wrapped key (base64), '' when `create` is false. */
  readonly candidateWrapped: string;
  /** Set the restriction flag of the live record (K22); null leaves it. */
  readonly setRestricted: boolean | null;
}

export type SubjectStatus =
  /** The candidate was stored: this call created the key. */
  | 'created'
  /** A usable record exists (possibly created by another instance a moment ago). */
  | 'existing'
  /** No usable record and none created (tombstoned with no event after erasedAt, or `create` false). */
  | 'absent'
  /** A key must be created but the candidate's generation is wrong: retry with tombstoneGeneration + 1. */
  | 'conflict';

export interface SubjectState {
  readonly status: SubjectStatus;
  /** Generation of the usable record; 0 when there is none. */
  readonly generation: number;
  /** Wrapped key (base64) of the usable record; '' when there is none. */
  readonly wrapped: string;
  readonly restricted: boolean;
  /** Whether this call changed the restriction flag. */
  readonly restrictedChanged: boolean;
  /** Generation of the tombstone; -1 when the subject was never erased. */
  readonly tombstoneGeneration: number;
  /** erasedAt of the tombstone (ms); null when never erased. */
  readonly erasedAt: number | null;
}

export interface TenantOps {
  readonly tenant: string;
  readonly ops: readonly SubjectOp[];
}

export interface ErasureWrite {
  readonly requestId: string;
  readonly erasedAt: number;
  readonly result: ErasureResult;
  /**
   * Per subject, what was read before: the usable generation (0 for none) and the tombstone (generation -1
   * and erasedAt null for none). The write aborts if any changed (K16), so the tombstones in `result` are
   * exactly the ones written (K29).
   */
  readonly expected: ReadonlyArray<{
    readonly blindIndex: string;
    /** K40: the subject's kind, so it leaves the co-occurrence index (its member there is `<kind>:<blindIndex>`). */
    readonly kind: string;
    readonly generation: number;
    readonly tombstoneGeneration: number;
    readonly tombstoneErasedAt: number | null;
  }>;
}

/** A stored result. `tombstones` is absent only from results stored before K29; the engine rebuilds them. */
export type StoredErasureResult = Omit<ErasureResult, 'tombstones'> & { readonly tombstones?: TombstoneRecord[] };

export type ErasureWriteOutcome =
  | { readonly status: 'ok' }
  | { readonly status: 'conflict' }
  /** The request id had already run (concurrently or before): its stored result. */
  | { readonly status: 'done'; readonly result: StoredErasureResult };

/** What both stores are configured with beyond their connection. */
export interface StoreLimits {
  /**
   * K41: tombstones and stored erasure results are dropped this long after the erasure (raw retention + maximum backup
   * age); undefined keeps them for ever.
   */
  readonly tombstoneLifetimeMs?: number;
  readonly cooccurrence?: CooccurrenceLimits;
}

export interface SubjectStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs every tenant's ops; Redis does it in one round trip (K13). Results follow the input order. */
  subjects(batches: readonly TenantOps[]): Promise<SubjectState[][]>;
  /** The stored result of a request id, and the subjects' states, in one round trip. */
  readErasure(tenant: string, requestId: string, blindIndexes: readonly string[]): Promise<{
    readonly stored: StoredErasureResult | null;
    readonly states: SubjectState[];
  }>;
  /** Atomically: delete keys, write tombstones, store the result under the request id (K15). */
  erase(tenant: string, write: ErasureWrite): Promise<ErasureWriteOutcome>;
  /**
   * K31, at most TOMBSTONES_PER_CALL records (validated by the engine), one round trip: per subject, writes
   * the record if newer than the stored tombstone (higher generation, or same generation and later erasedAt)
   * and deletes a subject record whose generation is ≤ the resulting tombstone's.
   */
  applyTombstones(records: readonly TombstoneRecord[], now: number): Promise<ApplyTombstonesResult>;
  /**
   * K37–K39: records co-occurrence, one script call per tenant, all in one round trip. Blind indexes and tokens only.
   */
  recordCooccurrence(writes: readonly CooccurrenceWrite[], now: number): Promise<void>;
  /**
   * K39: per subject, its partners seen within the TTL (newest first), each with the token last written for it; two
   * round trips (the sets, then the partners' tokens). Not on the hot path: the plan and erase-with-linked read it.
   */
  readCooccurrence(tenant: string, blindIndexes: readonly string[], now: number): Promise<CooccurrencePartner[][]>;
  /** The subjects' states, creating and changing nothing; one round trip. */
  readStates(tenant: string, blindIndexes: readonly string[]): Promise<SubjectState[]>;
  /** K36: the tenant's learned private-site hashes (K35), one round trip. */
  privateSites(tenant: string): Promise<string[]>;
  /** K36: adds private-site hashes; idempotent, one round trip. */
  addPrivateSites(tenant: string, hashes: readonly string[]): Promise<void>;
  /**
   * K47: per epoch, its stored secret, creating it from the candidate when absent and the candidate is not ''; a
   * destroyed epoch stays destroyed (never re-created). One script call per tenant, all in one round trip.
   */
  epochSecrets(batches: readonly EpochOps[]): Promise<EpochSecretState[][]>;
  /** K48: destroys the epochs' secrets and marks them destroyed (also epochs never created); idempotent, one round trip. */
  destroyEpochs(tenant: string, names: readonly string[], destroyedAt: number): Promise<string[]>;
  /** K49: every epoch the tenant has a secret or a destruction mark for; one round trip. */
  listEpochs(tenant: string): Promise<StoredEpoch[]>;
}

export interface EpochOps {
  readonly tenant: string;
  readonly ops: ReadonlyArray<{ readonly name: string; readonly candidateWrapped: string }>;
}

export interface EpochSecretState {
  readonly status: 'created' | 'existing' | 'absent' | 'destroyed';
  /** The wrapped secret (base64); '' unless created or existing. */
  readonly wrapped: string;
}

export interface StoredEpoch {
  /** `<window days>d:<index>` (core `epochName`). */
  readonly name: string;
  /** Epoch ms of the destruction; null while the secret is stored. */
  readonly destroyedAt: number | null;
}

/** K24: what the `epochs` hash holds for a destroyed epoch: this prefix and the destruction time (ms). */
export const DESTROYED_MARK = 'x:';

/** One subject of a co-occurrence write (K37): it and the subjects it was seen with. */
export interface CooccurrenceEntry {
  readonly kind: string;
  readonly blindIndex: string;
  /** Its token in the record (K38: what erase-with-linked retires and evicts for a subject known only by index). */
  readonly token: string;
  readonly partners: ReadonlyArray<{ readonly kind: string; readonly blindIndex: string }>;
}

export interface CooccurrenceWrite {
  readonly tenant: string;
  readonly entries: readonly CooccurrenceEntry[];
}

/** Bounds of the co-occurrence index (K39), from the configuration. */
export interface CooccurrenceLimits {
  readonly ttlMs: number;
  readonly maxLinksPerSubject: number;
  readonly maxSubjectsPerTenant: number;
}

export const DEFAULT_COOCCURRENCE_LIMITS: CooccurrenceLimits = Object.freeze({
  ttlMs: 90 * 86_400_000,
  maxLinksPerSubject: 32,
  maxSubjectsPerTenant: 1_000_000,
});

export interface CooccurrencePartner {
  readonly kind: string;
  readonly blindIndex: string;
  /** Epoch ms of the last record that carried both. */
  readonly lastSeen: number;
  /** The token last written for the partner; null when its entry expired or was erased. */
  readonly token: string | null;
}

/** Records per `applyTombstones` store call, so per Redis round trip (K31). */
export const TOMBSTONES_PER_CALL = 500;

/** Event times are clamped to this range before they reach a store (Lua numbers are doubles; no ±Infinity). */
export const MAX_TIME = 8.64e15;
export const MIN_TIME = -8.64e15;
