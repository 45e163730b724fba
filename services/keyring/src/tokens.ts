import { randomBytes } from 'node:crypto';
import { AmpsealError, type IdentifierKind, type TokenOutcome, type TokenRequest } from '@ampseal/core';
import { SubjectCache, subjectCacheKey } from './cache';
import {
  KEY_BYTES,
  NONCE_BYTES,
  blindIndexText,
  subjectKeyAad,
  token as deriveToken,
  unwrapSubjectKey,
  wrapSubjectKey,
} from './crypto';
import type { Instruments } from './instruments';
import type { TenantKeySet } from './key-set';
import type { KeySets } from './key-sets';
import type { SubjectId, SubjectTokenState } from './keyring';
import { MAX_TIME, MIN_TIME, type SubjectOp, type SubjectState, type SubjectStore, type TenantOps } from './store';

/**
 * The hot path (SPEC K7, K10–K14, K17, K18, K22, K23): the subject cache, the miss path that asks the store for
 * keys (creating them, K12) and the tokens derived from them. Erasure (erasure.ts) shares the cache and the
 * per-subject bookkeeping.
 */

/** What the cache holds per subject (K14): the token, never the key (K11), plus tombstone and restriction. */
export interface SubjectEntry {
  /** null when the subject was never erased. */
  readonly erasedAt: number | null;
  readonly tombstoneGeneration: number;
  /** The outcome for events after erasedAt; null when there is no live key. */
  readonly outcome: TokenOutcome | null;
}

/** One distinct subject of a call, with what the store said about it. */
export interface Pending {
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
/** One attempt plus the generation conflict (K18); a third only if an erasure raced the second. */
export const MAX_ATTEMPTS = 3;

/**
 * What the cache holds per subject. A subject never erased (no tombstone generation above 0) with a live key, the
 * common case, is cached as its outcome alone: the SubjectEntry it stands for is { erasedAt: null,
 * tombstoneGeneration: 0 or -1, outcome }, and either generation gives the same next candidate generation (1).
 * One object less per cached subject (issue 14's memory target).
 */
type Cached = SubjectEntry | TokenOutcome;

function toCached(entry: SubjectEntry): Cached {
  return entry.erasedAt === null && entry.tombstoneGeneration <= 0 && entry.outcome !== null ? entry.outcome : entry;
}

function isOutcome(cached: Cached): cached is TokenOutcome {
  return 'status' in cached;
}

/** K17, on the hot path: no allocation, NaN-safe (an event with no valid time never gets a token when erased). */
function outcomeAt(cached: Cached, at: number): TokenOutcome | null {
  if (isOutcome(cached)) return cached;
  if (cached.erasedAt !== null && !(at > cached.erasedAt)) return ERASED;
  return cached.outcome;
}

function clampTime(at: number): number {
  if (!(at > MIN_TIME)) return MIN_TIME; // NaN too: the fail-safe side of K17
  return at > MAX_TIME ? MAX_TIME : at;
}

export class SubjectTokens {
  private readonly cache: SubjectCache<Cached>;

  constructor(
    private readonly store: SubjectStore,
    private readonly keySets: KeySets,
    private readonly instruments: Instruments,
    cacheSize: number,
    cacheTtlMs: number,
    private readonly clock: () => number,
  ) {
    this.cache = new SubjectCache(cacheSize, cacheTtlMs);
  }

  async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    const now = this.clock();
    const outcomes = new Array<TokenOutcome>(requests.length);
    let misses: Map<string, Pending> | undefined;
    let hits = 0;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const subject = request.subject;
      const entry = this.cache.get(subject.tenant, subject.kind, subject.value, now);
      if (entry !== undefined) {
        const outcome = outcomeAt(entry, request.at);
        if (outcome !== null) {
          outcomes[i] = outcome;
          hits++;
          continue;
        }
      }
      misses ??= new Map();
      const key = subjectCacheKey(subject.tenant, subject.kind, subject.value);
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

  async currentTokens(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectTokenState[]> {
    const now = this.clock();
    const keys = await this.keySets.keySet(tenant, now);
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
    const keys = await this.keySets.keySet(tenant, now);
    const unique = this.distinct(tenant, subjects, keys);
    // K22: restricting an unseen (or erased) subject creates its key, so later events find the flag.
    for (const pending of unique) pending.maxAt = MAX_TIME;
    await this.resolve(unique, { create: on, setRestricted: on }, now);
    return unique.filter((p) => p.restrictedChanged).length;
  }

  evict(tenant: string, tokens: readonly string[]): number {
    let evicted = 0;
    for (const t of tokens) if (this.cache.evictByToken(tenant, t)) evicted++;
    return evicted;
  }

  /** K31: this instance forgets what it cached for a subject; the next lookup reads the tombstone. */
  evictByBlindIndex(tenant: string, blindIndex: string): void {
    this.cache.evictByBlindIndex(tenant, blindIndex);
  }

  /** K4: the tenant's key set was replaced; every token cached under the old one is void. */
  evictTenant(tenant: string): number {
    return this.cache.evictTenant(tenant);
  }

  clear(): void {
    this.cache.clear();
  }

  /** The distinct subjects of a call, with their blind indexes. */
  distinct(tenant: string, subjects: readonly SubjectId[], keys: TenantKeySet): Pending[] {
    const unique = new Map<string, Pending>();
    for (const s of subjects) {
      const cacheKey = subjectCacheKey(tenant, s.kind, s.value);
      if (!unique.has(cacheKey)) {
        const pending = this.pending(tenant, s.kind, s.value, cacheKey, this.cache.get(tenant, s.kind, s.value, this.clock()));
        pending.blindIndex = blindIndexText(keys.indexKey, s.kind, s.value);
        unique.set(cacheKey, pending);
      }
    }
    return [...unique.values()];
  }

  /** Drops what this instance knows about erased subjects (K21); the next lookup reads the tombstone. */
  forget(tenant: string, subjects: readonly Pending[], retiredTokens: readonly string[]): void {
    for (const p of subjects) this.cache.delete(p.tenant, p.kind, p.value);
    for (const t of retiredTokens) this.cache.evictByToken(tenant, t);
  }

  /** Unwraps a stored key just long enough to derive its token (K11). */
  tokenOf(keys: TenantKeySet, p: Pending, state: SubjectState): string {
    const aad = subjectKeyAad(p.tenant, p.blindIndex, state.generation);
    const subjectKey = unwrapSubjectKey(keys.wrappingKey, Buffer.from(state.wrapped, 'base64'), aad);
    try {
      return deriveToken(subjectKey, p.kind, p.value);
    } finally {
      subjectKey.fill(0);
    }
  }

  private pending(
    tenant: string,
    kind: IdentifierKind,
    value: string,
    cacheKey: string,
    known: Cached | undefined,
  ): Pending {
    return {
      tenant,
      kind,
      value,
      cacheKey,
      maxAt: MIN_TIME,
      // K18: a cached tombstone tells the generation to wrap for; otherwise guess the first.
      candidateGeneration: known === undefined || isOutcome(known) ? 1 : Math.max(1, known.tombstoneGeneration + 1),
      blindIndex: '',
      indexes: [],
      token: null,
      entry: null,
      restrictedChanged: false,
    };
  }

  /**
   * The miss path: blind indexes, candidate keys, one store call for all tenants (K13), a second only for
   * generation conflicts (K18). Fills `token`/`entry` of every pending subject and caches it.
   */
  private async resolve(list: Pending[], mode: Mode, now: number): Promise<void> {
    const keySets = new Map<string, TenantKeySet>();
    const tenants = [...new Set(list.map((p) => p.tenant))];
    // K21: the eviction epochs before anything is awaited; an eviction during the lookup keeps its answer uncached.
    const epochs = new Map(tenants.map((tenant) => [tenant, this.cache.epoch(tenant)] as const));
    const loaded = await Promise.all(tenants.map((tenant) => this.keySets.keySet(tenant, now)));
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
        const results = await this.store.subjects(batches);
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
            this.cache.set(tenant, p.kind, p.value, { blindIndex: p.blindIndex, token: p.token }, toCached(p.entry), now, epochs.get(tenant));
          });
          if (created > 0) this.instruments.created(tenant, created);
        });
        pending = conflicts;
      } finally {
        material?.fill(0); // K11
      }
    }
  }
}
