import type { CooccurrenceGroup, IdentifierKind } from '@ampseal/core';
import { blindIndexText } from './crypto';
import type { TenantKeySet } from './key-set';
import type { KeySets } from './key-sets';
import type { LinkedSubjectPlan, SubjectId, SubjectPlan, SubjectPlanState } from './keyring';
import type { CooccurrenceEntry, CooccurrenceWrite, SubjectState, SubjectStore } from './store';

/**
 * The co-occurrence index (SPEC K37–K40, K43): which subjects of a tenant were seen in the same records, kept as blind
 * indexes and tokens (never a value), bounded in size and age by the store, erased with the subject.
 *
 * A group seen again within `refreshMs` is not written again: a driver's card and contract id are on every CDR, and
 * rewriting them per record would cost a round trip per chunk for nothing. Refreshing once per period is enough to keep
 * a link's age right to within that period, far below the index's TTL (days).
 */
export const COOCCURRENCE_REFRESH_MS = 3_600_000;
const WRITTEN_CACHE_SIZE = 100_000;

/** Characters of a blind index shown to an operator (K43): 48 bits, a reference, not a lookup key. */
export const REF_CHARS = 8;

export interface LinkedSubject {
  readonly kind: IdentifierKind;
  readonly blindIndex: string;
  readonly token: string | null;
}

function planState(state: SubjectState, token: string | null): SubjectPlanState {
  return {
    token: state.status === 'existing' ? token : null,
    generation: state.status === 'existing' ? state.generation : 0,
    restricted: state.status === 'existing' && state.restricted,
    tombstoneGeneration: state.tombstoneGeneration,
    erasedAt: state.erasedAt,
  };
}

export class Cooccurrence {
  /** Group signature (tokens, never values) → when it was last written. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly store: SubjectStore,
    private readonly keySets: KeySets,
    private readonly clock: () => number,
    private readonly refreshMs = COOCCURRENCE_REFRESH_MS,
  ) {}

  /** K37: at most one store call (one round trip) for all groups; none when every group is fresh. */
  async record(groups: readonly CooccurrenceGroup[]): Promise<void> {
    const now = this.clock();
    const byTenant = new Map<string, CooccurrenceGroup[]>();
    const signatures: string[] = [];
    for (const group of groups) {
      if (group.subjects.length < 2) continue;
      const signature = signatureOf(group);
      const at = this.written.get(signature);
      if (at !== undefined && now - at < this.refreshMs) continue;
      signatures.push(signature);
      const list = byTenant.get(group.tenant);
      if (list === undefined) byTenant.set(group.tenant, [group]);
      else list.push(group);
    }
    if (byTenant.size === 0) return;
    const writes: CooccurrenceWrite[] = [];
    for (const [tenant, list] of byTenant) {
      const keys = await this.keySets.keySet(tenant, now);
      writes.push({ tenant, entries: entriesOf(keys, list) });
    }
    await this.store.recordCooccurrence(writes, now);
    if (this.written.size + signatures.length > WRITTEN_CACHE_SIZE) this.written.clear(); // bounded: a rewrite, never a loss
    for (const s of signatures) this.written.set(s, now);
  }

  /** K42: the subjects linked to these (by blind index), excluding the subjects themselves. */
  async linked(tenant: string, blindIndexes: readonly string[]): Promise<LinkedSubject[]> {
    const sets = await this.store.readCooccurrence(tenant, blindIndexes, this.clock());
    const own = new Set(blindIndexes);
    const out = new Map<string, LinkedSubject>();
    for (const set of sets) {
      for (const p of set) {
        if (own.has(p.blindIndex) || out.has(p.blindIndex)) continue;
        out.set(p.blindIndex, { kind: p.kind as IdentifierKind, blindIndex: p.blindIndex, token: p.token });
      }
    }
    return [...out.values()];
  }

  /** K43: each subject's state and its partners' (tokens and blind-index prefixes; a partner typed too is matched). */
  async plan(tenant: string, subjects: readonly SubjectId[], tokenOf: (s: SubjectId, state: SubjectState, keys: TenantKeySet) => string | null): Promise<SubjectPlan[]> {
    const now = this.clock();
    const keys = await this.keySets.keySet(tenant, now);
    const indexes = subjects.map((s) => blindIndexText(keys.indexKey, s.kind, s.value));
    const [states, sets] = await Promise.all([this.store.readStates(tenant, indexes), this.store.readCooccurrence(tenant, indexes, now)]);
    const partnerIndexes = [...new Set(sets.flat().map((p) => p.blindIndex))];
    const partnerStates = new Map<string, SubjectState>();
    (await this.store.readStates(tenant, partnerIndexes)).forEach((state, i) => partnerStates.set(partnerIndexes[i]!, state));
    return subjects.map((subject, i) => {
      const state = states[i]!;
      const linked: LinkedSubjectPlan[] = sets[i]!.map((p) => {
        const same = indexes.indexOf(p.blindIndex);
        return {
          kind: p.kind as IdentifierKind,
          ref: p.blindIndex.slice(0, REF_CHARS),
          lastSeen: p.lastSeen,
          sameAs: same >= 0 ? same : null,
          ...planState(partnerStates.get(p.blindIndex)!, p.token),
        };
      });
      return {
        kind: subject.kind,
        ref: indexes[i]!.slice(0, REF_CHARS),
        ...planState(state, state.status === 'existing' ? tokenOf(subject, state, keys) : null),
        linked,
      };
    });
  }
}

/**
 * Order-independent: the same tokens are the same group (a new token, after an erasure, is a new group). Built from
 * tokens alone: a token already names one subject of one generation (a 128-bit HMAC under that subject's key), and
 * keeping tokens, which every audience sees anyway, means this cache holds no clear identifier.
 */
function signatureOf(group: CooccurrenceGroup): string {
  const members = group.subjects;
  if (members.length === 2) {
    // The common case (a CDR's card and contract id) without an array to sort per record.
    const a = `${members[0]!.kind}\0${members[0]!.token}`;
    const b = `${members[1]!.kind}\0${members[1]!.token}`;
    return a < b ? `${group.tenant}\0${a}\0\0${b}` : `${group.tenant}\0${b}\0\0${a}`;
  }
  return `${group.tenant}\0${members
    .map((s) => `${s.kind}\0${s.token}`)
    .sort()
    .join('\0\0')}`;
}

/** Every subject of a group gets every other as a partner: links are symmetric (K38). */
function entriesOf(keys: TenantKeySet, groups: readonly CooccurrenceGroup[]): CooccurrenceEntry[] {
  const bySubject = new Map<string, { kind: string; blindIndex: string; token: string; partners: Map<string, { kind: string; blindIndex: string }> }>();
  for (const group of groups) {
    const members = group.subjects.map((s) => ({ kind: s.kind, blindIndex: blindIndexText(keys.indexKey, s.kind, s.value), token: s.token }));
    for (const m of members) {
      let entry = bySubject.get(m.blindIndex);
      if (entry === undefined) bySubject.set(m.blindIndex, (entry = { ...m, partners: new Map() }));
      for (const other of members) if (other.blindIndex !== m.blindIndex) entry.partners.set(other.blindIndex, { kind: other.kind, blindIndex: other.blindIndex });
    }
  }
  return [...bySubject.values()].map((e) => ({ kind: e.kind, blindIndex: e.blindIndex, token: e.token, partners: [...e.partners.values()] }));
}
