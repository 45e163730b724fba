import { epochName, epochOf, type CooccurrenceGroup, type EpochSpec, type SiteLinks, type TokenOutcome, type TokenRequest } from '@ampseal/core';
import { EpochKeys } from './epochs';
import { Cooccurrence } from './cooccurrence';
import { Erasure } from './erasure';
import type { Instruments } from './instruments';
import type { KeySetSource } from './key-set';
import { KeySets } from './key-sets';
import type {
  ApplyTombstonesResult,
  ErasureRequest,
  EpochDestruction,
  EpochState,
  ErasureResult,
  KeyRing,
  KeyRingLogger,
  KeyRingStats,
  SubjectId,
  SubjectEpochTokens,
  SubjectPlan,
  SubjectTokenState,
  TombstoneRecord,
} from './keyring';
import type { SubjectStore } from './store';
import { SubjectTokens } from './tokens';

/**
 * The key-ring semantics, once, over any subject store and key-set source (SPEC K28): the Redis key ring and
 * the in-memory one differ only in what they are composed with. Composed of its three paths: tokens.ts (the hot
 * path: cache, misses, key creation, restriction, access), erasure.ts (erase and the tombstone journal) and
 * key-sets.ts (tenant key sets, link tokens, private sites).
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

export class KeyRingEngine implements KeyRing {
  private readonly keySets: KeySets;
  private readonly subjects: SubjectTokens;
  private readonly erasure: Erasure;
  private readonly cooccurrence: Cooccurrence;
  private readonly epochKeys: EpochKeys;
  private readonly clock: () => number;

  constructor(
    private readonly subjectStore: SubjectStore,
    private readonly keySetSource: KeySetSource,
    private readonly instruments: Instruments,
    private readonly options: EngineOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    // A replaced key set voids every token cached under the old one: subject tokens and epoch secrets alike.
    this.keySets = new KeySets(keySetSource, subjectStore, options, this.clock, (tenant) => this.subjects.evictTenant(tenant) + this.epochKeys.evictTenant(tenant));
    this.subjects = new SubjectTokens(subjectStore, this.keySets, instruments, options.cacheSize, options.cacheTtlMs, this.clock);
    this.cooccurrence = new Cooccurrence(subjectStore, this.keySets, this.clock);
    this.epochKeys = new EpochKeys(subjectStore, this.keySets, options.cacheTtlMs, this.clock, options.logger);
    this.erasure = new Erasure(subjectStore, this.keySets, this.subjects, this.clock, options.logger, this.cooccurrence, this.epochKeys);
  }

  async start(): Promise<void> {
    await this.subjectStore.start();
    const now = this.clock();
    for (const tenant of this.options.tenants ?? []) await this.keySets.keySet(tenant, now);
  }

  async stop(): Promise<void> {
    this.subjects.clear();
    this.epochKeys.clear();
    this.keySets.destroy();
    await this.subjectStore.stop();
    await this.keySetSource.stop();
  }

  tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    // K44: a batch without a tenant that has a linkability window takes today's path unchanged.
    for (let i = 0; i < requests.length; i++) {
      if (requests[i]!.epoch !== undefined) return this.epochKeys.tokens(requests, (live) => this.subjects.tokens(live));
    }
    return this.subjects.tokens(requests);
  }

  links(tenant: string): Promise<SiteLinks> {
    return this.keySets.links(tenant);
  }

  learnPrivateSites(tenant: string, values: readonly string[]): Promise<void> {
    return this.keySets.learnPrivateSites(tenant, values);
  }

  erase(tenant: string, subjects: readonly SubjectId[], request: ErasureRequest): Promise<ErasureResult> {
    return this.erasure.erase(tenant, subjects, request);
  }

  async currentTokens(tenant: string, subjects: readonly SubjectId[], epoch?: EpochSpec): Promise<SubjectTokenState[]> {
    const states = await this.subjects.currentTokens(tenant, subjects);
    if (epoch === undefined) return states;
    const name = epochName(epochOf(this.clock(), epoch.windowMs), epoch.windowMs);
    const tokens = await this.epochKeys.tokensIn(tenant, name, states.map((s) => s.token));
    return states.map((s, i) => ({ ...s, token: tokens[i]!, epoch: name }));
  }

  async tokensByEpoch(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectEpochTokens[]> {
    const states = await this.subjects.currentTokens(tenant, subjects);
    const { epochs, tokens } = await this.epochKeys.tokensByEpoch(tenant, states.map((s) => s.token));
    return states.map((state, i) => {
      const { token, ...rest } = state;
      if (token === null) return { ...rest, token: null, tokens: [] };
      // A tenant whose records never carried an epoch token: the subject token is the one analytics holds (K44).
      if (epochs.length === 0) return { ...rest, token, tokens: [{ epoch: null, token }] };
      const byEpoch = epochs.flatMap((epoch, e) => (tokens[i]![e] ? [{ epoch, token: tokens[i]![e]! }] : []));
      return { ...rest, token: byEpoch.at(-1)?.token ?? null, tokens: byEpoch };
    });
  }

  async epochs(tenant: string): Promise<EpochState[]> {
    return this.epochKeys.list(tenant);
  }

  async destroyEpochs(tenant: string, names: readonly string[], destroyedAt: number): Promise<EpochDestruction> {
    return { tenant, destroyed: await this.epochKeys.destroy(tenant, names, destroyedAt), destroyedAt };
  }

  restrict(tenant: string, subjects: readonly SubjectId[], on: boolean): Promise<number> {
    return this.subjects.restrict(tenant, subjects, on);
  }

  applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult> {
    return this.erasure.applyTombstones(records);
  }

  checkRequestId(tenant: string, subjects: readonly SubjectId[], request: Pick<ErasureRequest, 'requestId' | 'withLinked'>): Promise<void> {
    return this.erasure.checkRequestId(tenant, subjects, request);
  }

  cooccurred(groups: readonly CooccurrenceGroup[]): Promise<void> {
    return this.cooccurrence.record(groups);
  }

  plan(tenant: string, subjects: readonly SubjectId[]): Promise<SubjectPlan[]> {
    return this.cooccurrence.plan(tenant, subjects, (subject, state, keys) => {
      const [pending] = this.subjects.distinct(tenant, [subject], keys);
      try {
        return this.subjects.tokenOf(keys, pending!, state);
      } catch {
        return null; // K15: a key that fails authentication shows no token; erase destroys it all the same
      }
    });
  }

  evict(tenant: string, tokens: readonly string[]): number {
    return this.subjects.evict(tenant, tokens);
  }

  stats(): KeyRingStats {
    return this.instruments.snapshot();
  }
}
