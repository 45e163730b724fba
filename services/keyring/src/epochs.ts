import { randomBytes } from 'node:crypto';
import { AmpsealError, epochExpired, epochName, epochOf, isTenant, parseEpochName, type TokenOutcome, type TokenRequest } from '@ampseal/core';
import { epochSecretAad, epochToken, KEY_BYTES, unwrapSubjectKey, wrapSubjectKey } from './crypto';
import type { KeySets } from './key-sets';
import type { KeyRingLogger } from './keyring';
import { MAX_TIME, type EpochSecretState, type SubjectStore, type StoredEpoch } from './store';

/**
 * Token epochs (SPEC K44–K50): a tenant with a linkability window gets, per epoch, a random secret wrapped under its
 * wrapping key; a subject's token in an epoch is derived from its subject token and the epoch secret. Destroying the
 * secret of an epoch older than the retention makes every token of that epoch unrecomputable, for everyone at once.
 */

const EXPIRED: TokenOutcome = Object.freeze({ status: 'EXPIRED' });
/** Epoch tokens cached per epoch secret (base token → outcome); cleared when full, so memory stays bounded. */
const TOKENS_PER_EPOCH = 50_000;

interface EpochEntry {
  /** null: destroyed (K48). */
  readonly secret: Buffer | null;
  readonly loadedAt: number;
  readonly outcomes: Map<string, TokenOutcome>;
}

export class EpochKeys {
  private readonly cache = new Map<string, EpochEntry>();

  constructor(
    private readonly store: SubjectStore,
    private readonly keySets: KeySets,
    /** K50: how long a secret (or its destruction) is cached: another instance's destruction applies within it. */
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly logger?: KeyRingLogger,
  ) {}

  /**
   * K44–K47: the outcomes of a batch in which some requests carry an epoch. Expired epochs answer EXPIRED before any
   * subject is looked up (no subject key and no epoch secret is created for them); the others get their subject
   * outcome, a TOKENIZED one turned into the epoch's token.
   */
  async tokens(requests: readonly TokenRequest[], subjectTokens: (requests: readonly TokenRequest[]) => Promise<TokenOutcome[]>): Promise<TokenOutcome[]> {
    const now = this.clock();
    // Per request: undefined (no epoch), null (expired or destroyed) or the cache key of its epoch.
    const slots = new Array<string | null | undefined>(requests.length);
    let misses: Map<string, { tenant: string; name: string }> | undefined;
    // Most requests of a batch share a tenant and an epoch: the last one's answer is reused without building strings.
    let lastTenant = '';
    let lastWindow = 0;
    let lastRetention = 0;
    let lastEpoch = Number.NaN;
    let lastSlot: string | null = null;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const spec = request.epoch;
      if (spec === undefined) continue;
      const tenant = request.subject.tenant;
      const epoch = epochOf(request.at, spec.windowMs);
      if (epoch === lastEpoch && tenant === lastTenant && spec.windowMs === lastWindow && spec.retentionMs === lastRetention) {
        slots[i] = lastSlot;
        continue;
      }
      [lastTenant, lastWindow, lastRetention, lastEpoch] = [tenant, spec.windowMs, spec.retentionMs, epoch];
      // K46: no valid time, or older than the retention: never a token, never a lookup that could create anything.
      if (epochExpired(epoch, spec.windowMs, spec.retentionMs, now)) {
        slots[i] = lastSlot = null;
        continue;
      }
      const name = epochName(epoch, spec.windowMs);
      const key = `${tenant}\0${name}`;
      slots[i] = lastSlot = key;
      const cached = this.cache.get(key);
      if (cached === undefined || !(now - cached.loadedAt < this.ttlMs)) {
        misses ??= new Map();
        misses.set(key, { tenant, name });
      }
    }
    if (misses !== undefined) await this.load([...misses.values()], true, now);

    const live: TokenRequest[] = [];
    for (let i = 0; i < requests.length; i++) {
      const slot = slots[i];
      if (slot === null) continue;
      if (slot !== undefined && this.cache.get(slot)!.secret === null) slots[i] = null; // K48: destroyed
      else live.push(requests[i]!);
    }
    let lastKey: string | undefined;
    let lastEntry: EpochEntry | undefined;
    const base = live.length === 0 ? [] : await subjectTokens(live.length === requests.length ? requests : live);
    const outcomes = new Array<TokenOutcome>(requests.length);
    let j = 0;
    for (let i = 0; i < requests.length; i++) {
      const slot = slots[i];
      if (slot === null) {
        outcomes[i] = EXPIRED;
        continue;
      }
      const outcome = base[j++]!;
      if (slot === undefined || outcome.status !== 'TOKENIZED') {
        outcomes[i] = outcome;
        continue;
      }
      // Looked up again after the await: a destruction on this instance meanwhile makes it EXPIRED, never a token.
      if (slot !== lastKey) [lastKey, lastEntry] = [slot, this.cache.get(slot)];
      const entry = lastEntry;
      outcomes[i] = entry === undefined || entry.secret === null ? EXPIRED : this.epochOutcome(entry, outcome.token);
    }
    return outcomes;
  }

  /**
   * K45, for access requests (K23): the epoch tokens of subject tokens in the named epoch, creating nothing. null when
   * the epoch has no secret (no event of it was tokenized yet) or was destroyed.
   */
  async tokensIn(tenant: string, name: string, subjectTokens: readonly (string | null)[]): Promise<(string | null)[]> {
    const now = this.clock();
    const key = `${tenant}\0${name}`;
    await this.load([{ tenant, name }], false, now);
    const entry = this.cache.get(key);
    if (entry === undefined || entry.secret === null) return subjectTokens.map(() => null);
    return subjectTokens.map((t) => (t === null ? null : epochToken(entry.secret!, t)));
  }

  /**
   * K45 for erasure receipts: the tokens an erased subject carried in every epoch whose secret is still stored, so the
   * receipt retires what analytics holds. Reads the tenant's epochs (one round trip when it has any).
   */
  async liveEpochTokens(tenant: string, subjectTokens: readonly string[]): Promise<string[]> {
    if (subjectTokens.length === 0) return [];
    const live = (await this.list(tenant)).filter((e) => e.destroyedAt === null);
    if (live.length === 0) return [];
    const now = this.clock();
    await this.load(live.map((e) => ({ tenant, name: e.name })), false, now);
    const out: string[] = [];
    for (const { name } of live) {
      const secret = this.cache.get(`${tenant}\0${name}`)?.secret;
      if (secret) for (const t of subjectTokens) out.push(epochToken(secret, t));
    }
    return out;
  }

  /** K52: per subject token, its token in every live stored epoch (oldest first), creating nothing. */
  async tokensByEpoch(tenant: string, subjectTokens: readonly (string | null)[]): Promise<{ epochs: string[]; tokens: (string | null)[][] }> {
    const live = (await this.list(tenant)).filter((e) => e.destroyedAt === null && parseEpochName(e.name) !== undefined);
    if (live.length === 0) return { epochs: [], tokens: subjectTokens.map(() => []) };
    await this.load(live.map((e) => ({ tenant, name: e.name })), false, this.clock());
    const secrets = live.map((e) => this.cache.get(`${tenant}\0${e.name}`)?.secret ?? null);
    return {
      epochs: live.map((e) => e.name),
      tokens: subjectTokens.map((t) => secrets.map((secret) => (t === null || secret === null ? null : epochToken(secret, t)))),
    };
  }

  /**
   * K49: the tenant's stored epochs (live and destroyed), oldest first (by the end of the epoch, then by name): one order
   * whatever the store (a Redis hash has none of its own), so receipts list retired epoch tokens alike on every store.
   */
  async list(tenant: string): Promise<StoredEpoch[]> {
    const end = (name: string) => {
      const parsed = parseEpochName(name);
      return parsed === undefined ? Number.POSITIVE_INFINITY : (parsed.epoch + 1) * parsed.windowMs;
    };
    return (await this.store.listEpochs(tenant)).sort((a, b) => end(a.name) - end(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** K48: destroys the named epochs' secrets (idempotent); this instance forgets them at once, others within the TTL. */
  async destroy(tenant: string, names: readonly string[], destroyedAt: number): Promise<string[]> {
    const destroyed = await this.store.destroyEpochs(tenant, names, destroyedAt);
    for (const name of names) this.forget(`${tenant}\0${name}`);
    if (destroyed.length > 0) this.logger?.info({ event: 'keyring.epochs.destroyed', tenant, epochs: destroyed.length });
    return destroyed;
  }

  /** K4: the tenant's key set was replaced: its cached epoch secrets are void (re-read, unwrapped with the new key). */
  evictTenant(tenant: string): number {
    const keys = [...this.cache.keys()].filter((key) => key.startsWith(`${tenant}\0`));
    for (const key of keys) this.forget(key);
    return keys.length;
  }

  clear(): void {
    for (const key of [...this.cache.keys()]) this.forget(key);
  }

  private forget(key: string): void {
    const entry = this.cache.get(key);
    entry?.secret?.fill(0); // K11
    this.cache.delete(key);
  }

  private epochOutcome(entry: EpochEntry, subjectToken: string): TokenOutcome {
    let outcome = entry.outcomes.get(subjectToken);
    if (outcome === undefined) {
      if (entry.outcomes.size >= TOKENS_PER_EPOCH) entry.outcomes.clear();
      outcome = Object.freeze({ status: 'TOKENIZED', token: epochToken(entry.secret!, subjectToken) });
      entry.outcomes.set(subjectToken, outcome);
    }
    return outcome;
  }

  /** K47: one store call for every epoch of the batch (one round trip), creating the absent ones when `create`. */
  private async load(epochs: ReadonlyArray<{ tenant: string; name: string }>, create: boolean, now: number): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const { tenant, name } of epochs) {
      const names = byTenant.get(tenant);
      if (names === undefined) byTenant.set(tenant, [name]);
      else names.push(name);
    }
    const tenants = [...byTenant.keys()];
    const keys = await Promise.all(tenants.map((tenant) => this.keySets.keySet(tenant, now)));
    const candidates: Buffer[] = [];
    try {
      const batches = tenants.map((tenant, t) => ({
        tenant,
        ops: byTenant.get(tenant)!.map((name) => {
          if (!create) return { name, candidateWrapped: '' };
          const secret = randomBytes(KEY_BYTES);
          candidates.push(secret);
          return { name, candidateWrapped: wrapSubjectKey(keys[t]!.wrappingKey, secret, epochSecretAad(tenant, name)).toString('base64') };
        }),
      }));
      const states: EpochSecretState[][] = await this.store.epochSecrets(batches);
      tenants.forEach((tenant, t) => {
        byTenant.get(tenant)!.forEach((name, i) => {
          const state = states[t]![i]!;
          const key = `${tenant}\0${name}`;
          if (state.status === 'absent') return; // read-only and never created: nothing to cache
          let secret: Buffer | null = null;
          if (state.status === 'created' || state.status === 'existing') {
            secret = unwrapSubjectKey(keys[t]!.wrappingKey, Buffer.from(state.wrapped, 'base64'), epochSecretAad(tenant, name));
          } else if (state.status !== 'destroyed') {
            throw new AmpsealError('KEYRING_UNAVAILABLE', 'epochs script answered unexpectedly');
          }
          const previous = this.cache.get(key);
          // The same secret again keeps its cached tokens; a changed one (a restore) starts afresh.
          const outcomes = previous !== undefined && previous.secret !== null && secret !== null && previous.secret.equals(secret) ? previous.outcomes : new Map();
          if (previous !== undefined && previous.secret !== secret) previous.secret?.fill(0);
          this.cache.set(key, { secret, loadedAt: now, outcomes });
        });
      });
    } finally {
      for (const c of candidates) c.fill(0);
    }
  }
}

/**
 * K50: an epoch destruction as the tombstone journal holds it (beside the subject tombstones, told apart by `kind`).
 * It carries no blind index and no value: a tenant, an epoch name and a time.
 */
export interface EpochDestructionRecord {
  readonly kind: 'epoch';
  readonly tenant: string;
  /** `<window days>d:<index>` (core `epochName`). */
  readonly epoch: string;
  /** Epoch ms. */
  readonly destroyedAt: number;
}

/** One journal key per tenant and epoch: compaction keeps one record of each destruction. */
export function epochJournalKey(record: EpochDestructionRecord): string {
  return `epoch:${record.tenant}:${record.epoch}`;
}

export function isEpochDestructionRecord(value: unknown): value is EpochDestructionRecord {
  const r = value as EpochDestructionRecord | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.kind === 'epoch' &&
    typeof r.tenant === 'string' &&
    isTenant(r.tenant) &&
    typeof r.epoch === 'string' &&
    parseEpochName(r.epoch) !== undefined &&
    Number.isFinite(r.destroyedAt) &&
    r.destroyedAt >= 0 &&
    r.destroyedAt <= MAX_TIME
  );
}
