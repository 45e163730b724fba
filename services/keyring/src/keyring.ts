import type { CooccurrenceGroup, EpochSpec, IdentifierKind, TokenSource } from '@ampseal/core';

/** What the key ring is asked about: one identifier of a tenant, already normalized (design §3). */
export interface SubjectId {
  readonly kind: IdentifierKind;
  readonly value: string;
}

export interface ErasureRequest {
  /** Idempotency key (K16): the same id again returns the stored result and changes nothing. */
  readonly requestId: string;
  /** Epoch ms. Events at or before it get ERASED (K17). */
  readonly erasedAt: number;
  /**
   * K42: also erase every subject that co-occurred with the request's subjects (the co-occurrence index, K37), known
   * to the key ring only by blind index. Part of the request's digest (K16).
   */
  readonly withLinked?: boolean;
}

/**
 * One tombstone as Redis holds it (K24), for the tombstone journal (K29–K32). The blind index is internal
 * key-ring data (K9, K30): a record may be written only to the journal (`ampseal.tombstones.v1`: internal,
 * compacted, restricted) and to Redis; never to a receipt, an audience topic, a log or an error.
 */
export interface TombstoneRecord {
  readonly tenant: string;
  /** base64url, as in the Redis key `<prefix>{<tenant>}:t:<blindIndex>`. */
  readonly blindIndex: string;
  readonly generation: number;
  /** Epoch ms. */
  readonly erasedAt: number;
  readonly requestId: string;
}

/** The receipt's substance (design §5): the tokens retired, computed before deletion. */
export interface ErasureResult {
  readonly retiredTokens: string[];
  /** Subjects this request tombstoned (a live key deleted, or a subject never seen, K19). */
  readonly erased: number;
  /** Subjects already tombstoned with no live key. */
  readonly alreadyErased: number;
  /**
   * One per distinct subject of the request: the tombstone exactly as written (K29). For the journal ONLY
   * (K30): the receipt carries `retiredTokens`, `erased` and `alreadyErased`, never these.
   */
  readonly tombstones: TombstoneRecord[];
  /**
   * K16: what the request erased, as a keyed digest (SHA-256 over the tenant and the sorted blind indexes): the same
   * request id with other subjects is refused (REQUEST_ID_REUSED). Internal like the tombstones; absent on results
   * stored before it existed.
   */
  readonly requestDigest?: string;
  /**
   * K15: subjects whose key was deleted although it failed authentication, so its retired token is not known; K42 also
   * counts linked subjects with a live key whose last token the index no longer holds.
   */
  readonly tokensNotComputed?: number;
  /** K42: subjects erased because they co-occurred with the request's subjects (counted in `erased`/`alreadyErased`). */
  readonly linked?: number;
}

/** One subject's state as the plan shows it (K43): never its value, never its blind index in full. */
export interface SubjectPlanState {
  /** The live token; for a linked subject, the token last written to the co-occurrence index. */
  readonly token: string | null;
  /** Generation of the live key; 0 when there is none. */
  readonly generation: number;
  readonly restricted: boolean;
  /** Generation of the tombstone; -1 when never erased. */
  readonly tombstoneGeneration: number;
  readonly erasedAt: number | null;
}

/** A subject that co-occurred with a planned one (K43). */
export interface LinkedSubjectPlan extends SubjectPlanState {
  readonly kind: IdentifierKind;
  /** The first 8 characters of its blind index: a reference for the operator, not enough to look anything up. */
  readonly ref: string;
  /** Epoch ms of the last record that carried both. */
  readonly lastSeen: number;
  /** Index of the planned subject it is, when the operator passed its clear value too; else null. */
  readonly sameAs: number | null;
}

export interface SubjectPlan extends SubjectPlanState {
  readonly kind: IdentifierKind;
  readonly ref: string;
  readonly linked: readonly LinkedSubjectPlan[];
}

/** What `applyTombstones` did (K31). */
export interface ApplyTombstonesResult {
  /** Records written because they were newer than the stored tombstone. */
  readonly applied: number;
  /** Subject records deleted because their generation was ≤ the tombstone's. */
  readonly keysDeleted: number;
}

/** One epoch as the key ring stores it (K49). */
export interface EpochState {
  /** `<window days>d:<index>` (core `epochName`). */
  readonly name: string;
  /** Epoch ms of the destruction; null while its secret is stored. */
  readonly destroyedAt: number | null;
}

/** A subject's tokens for a portability request (K52). */
export interface SubjectEpochTokens extends SubjectTokenState {
  readonly tokens: ReadonlyArray<{ readonly epoch: string | null; readonly token: string }>;
}

/** What `destroyEpochs` did (K48): the epochs this call destroyed (the others were destroyed before). */
export interface EpochDestruction {
  readonly tenant: string;
  readonly destroyed: readonly string[];
  readonly destroyedAt: number;
}

/** A subject's state for an access request (K23). */
export interface SubjectTokenState {
  /** The live token, or null when the subject has no live key. */
  readonly token: string | null;
  readonly restricted: boolean;
  /** The latest erasure time, or null when the subject was never erased. */
  readonly erasedAt: number | null;
  /** K45: the epoch the token belongs to, for a tenant with a linkability window; absent otherwise. */
  readonly epoch?: string;
}

export interface KeyRingStats {
  readonly kmsCalls: number;
  readonly redisRoundTrips: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly keysCreated: number;
}

/**
 * The only holder of key material (design §4). `tokens` is the hot path (TokenSource from core); the rest
 * serves the shredder and ops. Every method rejects with a retriable AmpsealError when Redis or KMS is down.
 */
export interface KeyRing extends TokenSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  erase(tenant: string, subjects: readonly SubjectId[], request: ErasureRequest): Promise<ErasureResult>;
  /**
   * K23; with `epoch` (the tenant's linkability) each token is the current epoch's (K45), null when the current epoch
   * has no secret yet (nothing of it was tokenized) — creating nothing.
   */
  currentTokens(tenant: string, subjects: readonly SubjectId[], epoch?: EpochSpec): Promise<SubjectTokenState[]>;
  /** K49: the tenant's stored epochs, live and destroyed. */
  epochs(tenant: string): Promise<EpochState[]>;
  /**
   * K52 (portability, Art. 15/20): per subject, its token in every epoch whose secret is stored (oldest first), creating
   * nothing; for a tenant without epochs (no epoch secret stored), its one token with epoch null.
   */
  tokensByEpoch(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectEpochTokens[]>;
  /**
   * K48: destroys the named epochs' secrets and marks them destroyed (also epochs never created), idempotently; the
   * caller journals the destruction first (K50). Evicts this instance's cache of them.
   */
  destroyEpochs(tenant: string, names: readonly string[], destroyedAt: number): Promise<EpochDestruction>;
  /** Sets or clears the restriction flag (K22); resolves to the number of subjects whose flag changed. */
  restrict(tenant: string, subjects: readonly SubjectId[], on: boolean): Promise<number>;
  /**
   * Re-applies tombstones from the journal after a Redis restore (K31, K32): per subject, atomically, keeps
   * the newer tombstone and deletes a record at or below its generation. Idempotent, order-independent.
   */
  applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult>;
  /**
   * K37: records that the subjects of each group were seen in one record (blind indexes and tokens only), at most one
   * Redis round trip per call, none when every group was written within the refresh period.
   */
  cooccurred(groups: readonly CooccurrenceGroup[]): Promise<void>;
  /**
   * K16, before a request is accepted (the admin API's 409): rejects with REQUEST_ID_REUSED when the id already erased
   * other subjects (or the same ones with another `withLinked`). Reads only; the shredder checks again when it runs.
   */
  checkRequestId(tenant: string, subjects: readonly SubjectId[], request: Pick<ErasureRequest, 'requestId' | 'withLinked'>): Promise<void>;
  /** K43: what an erasure of these subjects would cover (dry run: creates and changes nothing). */
  plan(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectPlan[]>;
  /** Drops cached entries by token (erasure receipts, K21); resolves to the number evicted. */
  evict(tenant: string, tokens: readonly string[]): number;
  stats(): KeyRingStats;
}

/** A pino-compatible subset. Only tenant names and counts are ever passed (K26). */
export interface KeyRingLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
}
