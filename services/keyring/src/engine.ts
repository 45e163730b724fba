import { randomBytes } from 'node:crypto';
import { AmpsealError, type IdentifierKind, type SiteLinks, type TokenOutcome, type TokenRequest } from '@ampseal/core';
import { SubjectCache, subjectCacheKey } from './cache';
import {
  KEY_BYTES,
  NONCE_BYTES,
  blindIndexText,
  subjectKeyAad,
  linkKey,
  token as deriveToken,
  unwrapSubjectKey,
  wrapSubjectKey,
} from './crypto';
import type { Instruments } from './instruments';
import { TenantLinks } from './links';
import { isTenantName, type KeySetSource, type TenantKeySet } from './key-set';
import type {
  ApplyTombstonesResult,
  ErasureRequest,
  ErasureResult,
  KeyRing,
  KeyRingLogger,
  KeyRingStats,
  SubjectId,
  SubjectTokenState,
  TombstoneRecord,
} from './keyring';
import {
  MAX_TIME,
  MIN_TIME,
  TOMBSTONES_PER_CALL,
  type ErasureWrite,
  type StoredErasureResult,
  type SubjectOp,
  type SubjectState,
  type SubjectStore,
  type TenantOps,
} from './store';

/**
 * The key-ring semantics, once, over any subject store and key-set source (SPEC K28): the Redis key ring and
 * the in-memory one differ only in what they are composed with.
 */
export interface EngineOptions {
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly keySetRefreshMs: number;
  /** Tenants whose key sets are unwrapped at start (K4); others at first use. */
  readonly tenants?: readonly string[];
  readonly logger?: KeyRingLogger;
  /** Epoch ms; injectable so tests can move time. */
  readonly clock?: () => number;
  /** K36: how often the learned private sites are re-read, so a site another instance learned applies here. */
  readonly siteRefreshMs?: number;
  /** Link tokens and site hashes cached per tenant (TenantLinks). */
  readonly linkCacheSize?: number;
}

const DEFAULT_SITE_REFRESH_MS = 30_000;
const DEFAULT_LINK_CACHE_SIZE = 20_000;

/** What the cache holds per subject (K14): the token, never the key (K11), plus tombstone and restriction. */
interface SubjectEntry {
  /** null when the subject was never erased. */
  readonly erasedAt: number | null;
  readonly tombstoneGeneration: number;
  /** The outcome for events after erasedAt; null when there is no live key. */
  readonly outcome: TokenOutcome | null;
}

/** One distinct subject of a call, with what the store said about it. */
interface Pending {
  readonly tenant: string;
  readonly kind: IdentifierKind;
  readonly value: string;
  readonly cacheKey: string;
  maxAt: number;
  candidateGeneration: number;
  blindIndex: string;
  indexes: number[];
  token: string | null;
  entry: SubjectEntry | null;
  restrictedChanged: boolean;
}

interface Mode {
  readonly create: boolean;
  readonly setRestricted: boolean | null;
}

const ERASED: TokenOutcome = Object.freeze({ status: 'ERASED' });
const RESTRICTED: TokenOutcome = Object.freeze({ status: 'RESTRICTED' });
const FOR_EVENTS: Mode = { create: true, setRestricted: null };
const READ_ONLY: Mode = { create: false, setRestricted: null };
// One attempt plus the generation conflict (K18); a third only if an erasure raced the second.
const MAX_ATTEMPTS = 3;
const REQUEST_ID_FORM = /^[\x21-\x7e]{1,200}$/;
/** A blind index as in Redis keys: base64url of 32 bytes, no padding (K9, K24). */
const BLIND_INDEX_FORM = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Generations are bound into the AAD as uint32 (K8). */
const MAX_GENERATION = 0xffffffff;

/** K31: a journal record is checked whole before anything is written; the error names no value (K26). */
function isTombstoneRecord(r: TombstoneRecord): boolean {
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.tenant === 'string' &&
    isTenantName(r.tenant) &&
    typeof r.blindIndex === 'string' &&
    BLIND_INDEX_FORM.test(r.blindIndex) &&
    Number.isInteger(r.generation) &&
    r.generation >= 0 &&
    r.generation <= MAX_GENERATION &&
    Number.isFinite(r.erasedAt) &&
    r.erasedAt >= MIN_TIME &&
    r.erasedAt <= MAX_TIME &&
    typeof r.requestId === 'string' &&
    REQUEST_ID_FORM.test(r.requestId)
  );
}

/** K17, on the hot path: no allocation, NaN-safe (an event with no valid time never gets a token when erased). */
function outcomeAt(entry: SubjectEntry, at: number): TokenOutcome | null {
  if (entry.erasedAt !== null && !(at > entry.erasedAt)) return ERASED;
  return entry.outcome;
}

function clampTime(at: number): number {
  if (!(at > MIN_TIME)) return MIN_TIME; // NaN too: the fail-safe side of K17
  return at > MAX_TIME ? MAX_TIME : at;
}

type ErasureWriteExpected = ErasureWrite['expected'][number];

/**
 * A stored result with its tombstones (K29). Results stored before K29 have none: they are rebuilt from the
 * tombstones as they stand now, which is what a journal replay needs (K31 keeps the newest anyway).
 */
function withTombstones(
  stored: StoredErasureResult,
  tenant: string,
  requestId: string,
  subjects: readonly Pending[],
  states: readonly SubjectState[],
): ErasureResult {
  if (stored.tombstones !== undefined) return stored as ErasureResult;
  const tombstones: TombstoneRecord[] = [];
  states.forEach((state, i) => {
    if (state.tombstoneGeneration < 0 || state.erasedAt === null) return;
    tombstones.push({
      tenant,
      blindIndex: subjects[i]!.blindIndex,
      generation: state.tombstoneGeneration,
      erasedAt: state.erasedAt,
      requestId,
    });
  });
  return { ...stored, tombstones };
}

export class KeyRingEngine implements KeyRing {
  private readonly cache: SubjectCache<SubjectEntry>;
  private readonly keySets = new Map<string, { readonly keys: TenantKeySet; readonly loadedAt: number }>();
  private readonly loading = new Map<string, Promise<TenantKeySet>>();
  private readonly siteLinks = new Map<string, { keys: TenantKeySet; links: TenantLinks; loadedAt: number }>();
  private readonly siteLoading = new Map<string, Promise<TenantLinks>>();
  private readonly clock: () => number;

  constructor(
    private readonly subjectStore: SubjectStore,
    private readonly keySetSource: KeySetSource,
    private readonly instruments: Instruments,
    private readonly options: EngineOptions,
  ) {
    if (!(options.keySetRefreshMs > 0)) throw new RangeError('key-set refresh period must be positive');
    this.cache = new SubjectCache(options.cacheSize, options.cacheTtlMs);
    this.clock = options.clock ?? Date.now;
  }

  async start(): Promise<void> {
    await this.subjectStore.start();
    const now = this.clock();
    for (const tenant of this.options.tenants ?? []) await this.keySet(tenant, now);
  }

  async stop(): Promise<void> {
    this.cache.clear();
    for (const { links } of this.siteLinks.values()) links.destroy();
    this.siteLinks.clear();
    // K11: best effort; a batch still in flight after stop() fails rather than using zeroed keys silently.
    for (const { keys } of this.keySets.values()) {
      keys.wrappingKey.fill(0);
      keys.indexKey.fill(0);
    }
    this.keySets.clear();
    await this.subjectStore.stop();
    await this.keySetSource.stop();
  }

  async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    const now = this.clock();
    const outcomes = new Array<TokenOutcome>(requests.length);
    let misses: Map<string, Pending> | undefined;
    let hits = 0;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const subject = request.subject;
      const key = subjectCacheKey(subject.tenant, subject.kind, subject.value);
      const entry = this.cache.get(key, now);
      if (entry !== undefined) {
        const outcome = outcomeAt(entry, request.at);
        if (outcome !== null) {
          outcomes[i] = outcome;
          hits++;
          continue;
        }
      }
      misses ??= new Map();
      let pending = misses.get(key);
      if (pending === undefined) {
        pending = this.pending(subject.tenant, subject.kind, subject.value, key, entry);
        misses.set(key, pending);
      }
      pending.indexes.push(i);
      const at = clampTime(request.at);
      if (at > pending.maxAt) pending.maxAt = at;
    }
    this.instruments.cache(hits, requests.length - hits);
    if (misses === undefined) return outcomes;

    const list = [...misses.values()];
    await this.resolve(list, FOR_EVENTS, now);
    for (const pending of list) {
      for (const i of pending.indexes) {
        const outcome = outcomeAt(pending.entry!, requests[i]!.at);
        // The store creates a key whenever an event is after erasedAt; anything else is a store fault.
        if (outcome === null) throw new AmpsealError('KEYRING_UNAVAILABLE', 'store returned no key for a subject to create');
        outcomes[i] = outcome;
      }
    }
    return outcomes;
  }

  /**
   * K33–K36: the tenant's link tokenizer. After the first call per refresh period it costs no round trip: the key
   * set is in memory and the learned private sites are re-read every `siteRefreshMs`.
   */
  links(tenant: string): Promise<SiteLinks> {
    const now = this.clock();
    const current = this.siteLinks.get(tenant);
    const keys = this.keySets.get(tenant);
    if (
      current !== undefined &&
      keys !== undefined &&
      current.keys === keys.keys &&
      now - keys.loadedAt < this.options.keySetRefreshMs &&
      now - current.loadedAt < (this.options.siteRefreshMs ?? DEFAULT_SITE_REFRESH_MS)
    ) {
      return Promise.resolve(current.links);
    }
    let loading = this.siteLoading.get(tenant);
    if (loading === undefined) {
      loading = this.loadLinks(tenant, now).finally(() => this.siteLoading.delete(tenant));
      this.siteLoading.set(tenant, loading);
    }
    return loading;
  }

  async learnPrivateSites(tenant: string, values: readonly string[]): Promise<void> {
    if (values.length === 0) return;
    const links = (await this.links(tenant)) as TenantLinks;
    const hashes = values.map((v) => links.hash(v));
    // Stored before the batch's outputs are produced (the transform awaits this), so no committed record reveals a
    // home that a restarted instance would not know.
    await this.subjectStore.addPrivateSites(tenant, hashes);
    links.addSites(hashes);
  }

  private async loadLinks(tenant: string, now: number): Promise<TenantLinks> {
    const keys = await this.keySet(tenant, now);
    const sites = await this.subjectStore.privateSites(tenant);
    const current = this.siteLinks.get(tenant);
    if (current !== undefined && current.keys === keys) {
      current.links.replaceSites(sites);
      current.loadedAt = now;
      return current.links;
    }
    current?.links.destroy();
    const links = new TenantLinks(linkKey(keys.indexKey), sites, this.options.linkCacheSize ?? DEFAULT_LINK_CACHE_SIZE);
    this.siteLinks.set(tenant, { keys, links, loadedAt: now });
    return links;
  }

  async erase(tenant: string, subjects: readonly SubjectId[], request: ErasureRequest): Promise<ErasureResult> {
    const { requestId, erasedAt } = request;
    if (typeof requestId !== 'string' || !REQUEST_ID_FORM.test(requestId)) {
      throw new AmpsealError('BAD_ENVELOPE', 'erasure request id must be 1-200 printable ASCII characters');
    }
    if (!Number.isFinite(erasedAt) || erasedAt < MIN_TIME || erasedAt > MAX_TIME) {
      throw new AmpsealError('BAD_ENVELOPE', 'erasedAt must be epoch milliseconds');
    }
    const now = this.clock();
    const keys = await this.keySet(tenant, now);
    const unique = this.distinct(tenant, subjects, keys);
    const blindIndexes = unique.map((p) => p.blindIndex);

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const read = await this.subjectStore.readErasure(tenant, requestId, blindIndexes);
      if (read.stored !== null) {
        const stored = withTombstones(read.stored, tenant, requestId, unique, read.states);
        this.forget(tenant, unique, stored.retiredTokens);
        return stored;
      }
      // K15: the tokens retired are derived before the keys go.
      const retiredTokens: string[] = [];
      const expected: ErasureWriteExpected[] = [];
      const tombstones: TombstoneRecord[] = [];
      let erased = 0;
      let alreadyErased = 0;
      read.states.forEach((state, i) => {
        const pending = unique[i]!;
        let generation = 0;
        if (state.status === 'existing') {
          retiredTokens.push(this.tokenOf(keys, pending, state));
          erased++;
          generation = state.generation;
        } else {
          if (state.tombstoneGeneration >= 0) alreadyErased++;
          else erased++; // K19: never seen, tombstoned all the same
        }
        expected.push({
          blindIndex: pending.blindIndex,
          generation,
          tombstoneGeneration: state.tombstoneGeneration,
          tombstoneErasedAt: state.erasedAt,
        });
        // K29: what the script writes, given that nothing changed since this read (it aborts otherwise).
        tombstones.push({
          tenant,
          blindIndex: pending.blindIndex,
          generation: generation > 0 ? generation : Math.max(0, state.tombstoneGeneration),
          erasedAt: state.erasedAt !== null && state.erasedAt > erasedAt ? state.erasedAt : erasedAt,
          requestId,
        });
      });
      const result: ErasureResult = { retiredTokens, erased, alreadyErased, tombstones };
      const written = await this.subjectStore.erase(tenant, { requestId, erasedAt, result, expected });
      if (written.status === 'conflict') continue; // K16: a key or tombstone changed between read and write
      if (written.status === 'done' && written.result.tombstones === undefined) continue; // re-read, rebuild
      const final = written.status === 'done' ? (written.result as ErasureResult) : result;
      this.forget(tenant, unique, final.retiredTokens);
      return final;
    }
    throw new AmpsealError('KEYRING_UNAVAILABLE', 'subjects kept changing during erasure');
  }

  async currentTokens(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectTokenState[]> {
    const now = this.clock();
    const keys = await this.keySet(tenant, now);
    const unique = this.distinct(tenant, subjects, keys);
    await this.resolve(unique, READ_ONLY, now);
    const byKey = new Map(unique.map((p) => [p.cacheKey, p]));
    return subjects.map((s) => {
      const pending = byKey.get(subjectCacheKey(tenant, s.kind, s.value))!;
      return {
        token: pending.token,
        restricted: pending.entry!.outcome === RESTRICTED,
        erasedAt: pending.entry!.erasedAt,
      };
    });
  }

  async restrict(tenant: string, subjects: readonly SubjectId[], on: boolean): Promise<number> {
    const now = this.clock();
    const keys = await this.keySet(tenant, now);
    const unique = this.distinct(tenant, subjects, keys);
    // K22: restricting an unseen (or erased) subject creates its key, so later events find the flag.
    for (const pending of unique) pending.maxAt = MAX_TIME;
    await this.resolve(unique, { create: on, setRestricted: on }, now);
    return unique.filter((p) => p.restrictedChanged).length;
  }

  async applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult> {
    if (!Array.isArray(records)) throw new AmpsealError('BAD_ENVELOPE', 'tombstone records must be an array');
    for (const r of records) {
      if (!isTombstoneRecord(r)) throw new AmpsealError('BAD_ENVELOPE', 'malformed tombstone record; none applied');
    }
    let applied = 0;
    let keysDeleted = 0;
    for (let from = 0; from < records.length; from += TOMBSTONES_PER_CALL) {
      const chunk = records.slice(from, from + TOMBSTONES_PER_CALL);
      const done = await this.subjectStore.applyTombstones(chunk);
      // K31: this instance forgets what it cached for these subjects; the next lookup reads the tombstone.
      for (const r of chunk) this.cache.evictByBlindIndex(r.tenant, r.blindIndex);
      applied += done.applied;
      keysDeleted += done.keysDeleted;
    }
    if (records.length > 0) this.options.logger?.info({ event: 'keyring.tombstones.applied', records: records.length, applied, keysDeleted });
    return { applied, keysDeleted };
  }

  evict(tenant: string, tokens: readonly string[]): number {
    let evicted = 0;
    for (const t of tokens) if (this.cache.evictByToken(tenant, t)) evicted++;
    return evicted;
  }

  stats(): KeyRingStats {
    return this.instruments.snapshot();
  }

  private pending(
    tenant: string,
    kind: IdentifierKind,
    value: string,
    cacheKey: string,
    known: SubjectEntry | undefined,
  ): Pending {
    return {
      tenant,
      kind,
      value,
      cacheKey,
      maxAt: MIN_TIME,
      // K18: a cached tombstone tells the generation to wrap for; otherwise guess the first.
      candidateGeneration: known === undefined ? 1 : Math.max(1, known.tombstoneGeneration + 1),
      blindIndex: '',
      indexes: [],
      token: null,
      entry: null,
      restrictedChanged: false,
    };
  }

  private distinct(tenant: string, subjects: readonly SubjectId[], keys: TenantKeySet): Pending[] {
    const unique = new Map<string, Pending>();
    for (const s of subjects) {
      const cacheKey = subjectCacheKey(tenant, s.kind, s.value);
      if (!unique.has(cacheKey)) {
        const pending = this.pending(tenant, s.kind, s.value, cacheKey, this.cache.get(cacheKey, this.clock()));
        pending.blindIndex = blindIndexText(keys.indexKey, s.kind, s.value);
        unique.set(cacheKey, pending);
      }
    }
    return [...unique.values()];
  }

  /** Drops what this instance knows about erased subjects (K21); the next lookup reads the tombstone. */
  private forget(tenant: string, subjects: readonly Pending[], retiredTokens: readonly string[]): void {
    for (const p of subjects) this.cache.delete(p.cacheKey);
    for (const t of retiredTokens) this.cache.evictByToken(tenant, t);
  }

  /**
   * The miss path: blind indexes, candidate keys, one store call for all tenants (K13), a second only for
   * generation conflicts (K18). Fills `token`/`entry` of every pending subject and caches it.
   */
  private async resolve(list: Pending[], mode: Mode, now: number): Promise<void> {
    const keySets = new Map<string, TenantKeySet>();
    const tenants = [...new Set(list.map((p) => p.tenant))];
    const loaded = await Promise.all(tenants.map((tenant) => this.keySet(tenant, now)));
    tenants.forEach((tenant, i) => keySets.set(tenant, loaded[i]!));
    for (const p of list) {
      if (p.blindIndex === '') p.blindIndex = blindIndexText(keySets.get(p.tenant)!.indexKey, p.kind, p.value);
    }

    let pending = list;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === MAX_ATTEMPTS) throw new AmpsealError('KEYRING_UNAVAILABLE', 'subject generation kept changing');
      const byTenant = new Map<string, Pending[]>();
      for (const p of pending) {
        const group = byTenant.get(p.tenant);
        if (group === undefined) byTenant.set(p.tenant, [p]);
        else group.push(p);
      }
      // K7: one CSPRNG call for the whole batch's candidate keys and nonces.
      const stride = KEY_BYTES + NONCE_BYTES;
      const material = mode.create ? randomBytes(pending.length * stride) : null;
      const batches: TenantOps[] = [];
      const order: Pending[][] = [];
      const candidates = new Map<Pending, Buffer>();
      let slot = 0;
      for (const [tenant, group] of byTenant) {
        const keys = keySets.get(tenant)!;
        const ops: SubjectOp[] = group.map((p) => {
          let candidateWrapped = '';
          if (material !== null) {
            const offset = slot++ * stride;
            const subjectKey = material.subarray(offset, offset + KEY_BYTES);
            const nonce = material.subarray(offset + KEY_BYTES, offset + stride);
            const aad = subjectKeyAad(tenant, p.blindIndex, p.candidateGeneration);
            candidateWrapped = wrapSubjectKey(keys.wrappingKey, subjectKey, aad, nonce).toString('base64');
            candidates.set(p, subjectKey);
          }
          return {
            blindIndex: p.blindIndex,
            create: mode.create,
            maxAt: p.maxAt,
            candidateGeneration: p.candidateGeneration,
            candidateWrapped,
            setRestricted: mode.setRestricted,
          };
        });
        batches.push({ tenant, ops });
        order.push(group);
      }

      try {
        const results = await this.subjectStore.subjects(batches);
        const conflicts: Pending[] = [];
        results.forEach((states, b) => {
          const group = order[b]!;
          const tenant = group[0]!.tenant;
          const keys = keySets.get(tenant)!;
          let created = 0;
          states.forEach((state, i) => {
            const p = group[i]!;
            if (state.status === 'conflict') {
              p.candidateGeneration = state.tombstoneGeneration + 1;
              conflicts.push(p);
              return;
            }
            if (state.status === 'created') {
              created++;
              p.token = deriveToken(candidates.get(p)!, p.kind, p.value);
            } else if (state.status === 'existing') {
              p.token = this.tokenOf(keys, p, state);
            } else {
              p.token = null;
            }
            p.restrictedChanged = state.restrictedChanged;
            p.entry = {
              erasedAt: state.erasedAt,
              tombstoneGeneration: state.tombstoneGeneration,
              outcome: p.token === null ? null : state.restricted ? RESTRICTED : { status: 'TOKENIZED', token: p.token },
            };
            this.cache.set(p.cacheKey, { tenant, blindIndex: p.blindIndex, token: p.token }, p.entry, now);
          });
          if (created > 0) this.instruments.created(tenant, created);
        });
        pending = conflicts;
      } finally {
        material?.fill(0); // K11
      }
    }
  }

  /** Unwraps a stored key just long enough to derive its token (K11). */
  private tokenOf(keys: TenantKeySet, p: Pending, state: SubjectState): string {
    const aad = subjectKeyAad(p.tenant, p.blindIndex, state.generation);
    const subjectKey = unwrapSubjectKey(keys.wrappingKey, Buffer.from(state.wrapped, 'base64'), aad);
    try {
      return deriveToken(subjectKey, p.kind, p.value);
    } finally {
      subjectKey.fill(0);
    }
  }

  /** K4: the tenant's key set, unwrapped at first use and again once older than keySetRefreshMs. */
  private keySet(tenant: string, now: number): Promise<TenantKeySet> {
    const current = this.keySets.get(tenant);
    if (current !== undefined && now - current.loadedAt < this.options.keySetRefreshMs) {
      return Promise.resolve(current.keys);
    }
    let loading = this.loading.get(tenant);
    if (loading === undefined) {
      loading = this.loadKeySet(tenant, now).finally(() => this.loading.delete(tenant));
      this.loading.set(tenant, loading);
    }
    return loading;
  }

  private async loadKeySet(tenant: string, now: number): Promise<TenantKeySet> {
    if (!isTenantName(tenant)) throw new AmpsealError('BAD_ENVELOPE', 'tenant must match [A-Za-z0-9._-]{1,64}');
    const keys = await this.keySetSource.load(tenant);
    const previous = this.keySets.get(tenant);
    if (previous !== undefined && previous.keys.fingerprint !== keys.fingerprint) {
      // The stored key set was replaced (a wiped or restored Redis): tokens cached under the old one are void.
      const evicted = this.cache.evictTenant(tenant);
      this.options.logger?.warn({ event: 'keyring.keyset.replaced', tenant, evicted });
    }
    this.keySets.set(tenant, { keys, loadedAt: now });
    this.options.logger?.info({ event: previous === undefined ? 'keyring.keyset.loaded' : 'keyring.keyset.refreshed', tenant });
    return keys;
  }
}
