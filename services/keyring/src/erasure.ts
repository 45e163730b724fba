import { createHash } from 'node:crypto';
import { AmpsealError, isRequestId, REQUEST_ID_RULE } from '@ampseal/core';
import { isTenantName } from './key-set';
import type { KeySets } from './key-sets';
import type { ApplyTombstonesResult, ErasureRequest, ErasureResult, KeyRingLogger, SubjectId, TombstoneRecord } from './keyring';
import {
  MAX_TIME,
  MIN_TIME,
  TOMBSTONES_PER_CALL,
  type ErasureWrite,
  type StoredErasureResult,
  type SubjectState,
  type SubjectStore,
} from './store';
import type { Cooccurrence } from './cooccurrence';
import type { EpochKeys } from './epochs';
import { MAX_ATTEMPTS, type Pending, type SubjectTokens } from './tokens';

/**
 * Erasure (SPEC K15, K16, K19, K21) and the tombstone journal (K29, K31): the read, the checked write and its
 * retries, the records returned for the journal, and re-applying them after a restore.
 */
/** A blind index as in Redis keys: base64url of 32 bytes, no padding (K9, K24). */
const BLIND_INDEX_FORM = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/**
 * Generations are bound into the AAD as uint32 (K8), and a tombstone of generation g makes the next key g + 1: a
 * journal record at 2^32 − 1 would leave no generation for the next key, so it is refused here (K31).
 */
const MAX_GENERATION = 0xfffffffe;

/** K31: a journal record is checked whole before anything is written; the error names no value (K26). */
export function isTombstoneRecord(r: TombstoneRecord): boolean {
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
    isRequestId(r.requestId)
  );
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

/**
 * K16: the request's subjects as a keyed digest (blind indexes are keyed), order-independent. K42: with its linked
 * subjects it is another request (the flag is in the digest), but the linked subjects themselves are not: they are
 * read at execution, and a repeat after the erasure (links gone) must still match.
 */
function digestOf(tenant: string, blindIndexes: readonly string[], withLinked: boolean): string {
  const text = `ampseal/request/v1\0${tenant}\0${[...blindIndexes].sort().join(',')}${withLinked ? '\0with-linked' : ''}`;
  return createHash('sha256').update(text).digest('base64url');
}

/** K16: a stored result of the same id for other subjects is not this request's: refuse, never answer "done". */
function refuseReuse(stored: string | undefined, digest: string): void {
  if (stored !== undefined && stored !== digest) {
    throw new AmpsealError('REQUEST_ID_REUSED', 'the request id was used for an erasure of other subjects; use a new one');
  }
}

export class Erasure {
  constructor(
    private readonly store: SubjectStore,
    private readonly keySets: KeySets,
    private readonly tokens: SubjectTokens,
    private readonly clock: () => number,
    private readonly logger: KeyRingLogger | undefined,
    private readonly cooccurrence: Cooccurrence,
    private readonly epochs: EpochKeys,
  ) {}

  async erase(tenant: string, subjects: readonly SubjectId[], request: ErasureRequest): Promise<ErasureResult> {
    const { requestId, erasedAt } = request;
    if (!isRequestId(requestId)) {
      throw new AmpsealError('BAD_REQUEST_ID', `erasure request id must be ${REQUEST_ID_RULE}`);
    }
    if (!Number.isFinite(erasedAt) || erasedAt < MIN_TIME || erasedAt > MAX_TIME) {
      throw new AmpsealError('BAD_ERASURE_TIME', 'erasedAt must be epoch milliseconds');
    }
    const now = this.clock();
    const keys = await this.keySets.keySet(tenant, now);
    const withLinked = request.withLinked === true;
    const typed = this.tokens.distinct(tenant, subjects, keys);
    const requestDigest = digestOf(
      tenant,
      typed.map((p) => p.blindIndex),
      withLinked,
    );

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const first = await this.store.readErasure(tenant, requestId, typed.map((p) => p.blindIndex));
      if (first.stored !== null) {
        refuseReuse(first.stored.requestDigest, requestDigest);
        const stored = withTombstones(first.stored, tenant, requestId, typed, first.states);
        this.tokens.forget(tenant, typed, stored.retiredTokens);
        return stored;
      }
      // K42: the linked subjects as the index holds them now, known by blind index and last token only.
      const linked = withLinked ? await this.cooccurrence.linked(tenant, typed.map((p) => p.blindIndex)) : [];
      const linkedStates = linked.length > 0 ? await this.store.readStates(tenant, linked.map((l) => l.blindIndex)) : [];
      const unique: Pending[] = [
        ...typed,
        ...linked.map((l) => ({
          tenant,
          kind: l.kind,
          value: '',
          cacheKey: '',
          maxAt: MIN_TIME,
          candidateGeneration: 1,
          blindIndex: l.blindIndex,
          indexes: [],
          token: l.token,
          entry: null,
          restrictedChanged: false,
        })),
      ];
      const read = { states: [...first.states, ...linkedStates] };
      // K15: the tokens retired are derived before the keys go.
      const retiredTokens: string[] = [];
      const expected: ErasureWriteExpected[] = [];
      const tombstones: TombstoneRecord[] = [];
      let erased = 0;
      let alreadyErased = 0;
      let tokensNotComputed = 0;
      read.states.forEach((state, i) => {
        const pending = unique[i]!;
        let generation = 0;
        if (state.status === 'existing' && i >= typed.length) {
          // K42: a linked subject's value is not known, so neither is its token but as the index last saw it.
          if (pending.token !== null) retiredTokens.push(pending.token);
          else tokensNotComputed++;
          erased++;
          generation = state.generation;
        } else if (state.status === 'existing') {
          // K15: erase always destroys. A key that fails authentication (corrupt or tampered) cannot give its retired
          // token, but it is deleted all the same; the receipt says how many tokens could not be computed.
          try {
            retiredTokens.push(this.tokens.tokenOf(keys, pending, state));
          } catch (err) {
            if (!(err instanceof AmpsealError) || err.reason !== 'key_integrity') throw err;
            tokensNotComputed++;
          }
          erased++;
          generation = state.generation;
        } else {
          if (state.tombstoneGeneration >= 0) alreadyErased++;
          else erased++; // K19: never seen, tombstoned all the same
        }
        expected.push({
          blindIndex: pending.blindIndex,
          kind: pending.kind,
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
      // K45: analytics holds the subject's epoch tokens, not its subject token: the receipt retires each live epoch's.
      retiredTokens.push(...(await this.epochs.liveEpochTokens(tenant, retiredTokens)));
      const result: ErasureResult = {
        retiredTokens,
        erased,
        alreadyErased,
        tombstones,
        requestDigest,
        ...(tokensNotComputed > 0 ? { tokensNotComputed } : {}),
        ...(withLinked ? { linked: linked.length } : {}),
      };
      const written = await this.store.erase(tenant, { requestId, erasedAt, result, expected });
      if (written.status === 'conflict') continue; // K16: a key or tombstone changed between read and write
      if (written.status === 'done' && written.result.tombstones === undefined) continue; // re-read, rebuild
      if (written.status === 'done') refuseReuse(written.result.requestDigest, requestDigest);
      const final = written.status === 'done' ? (written.result as ErasureResult) : result;
      this.tokens.forget(tenant, unique, final.retiredTokens);
      for (const l of linked) this.tokens.evictByBlindIndex(tenant, l.blindIndex);
      return final;
    }
    throw new AmpsealError('KEYRING_UNAVAILABLE', 'subjects kept changing during erasure');
  }

  async checkRequestId(tenant: string, subjects: readonly SubjectId[], request: Pick<ErasureRequest, 'requestId' | 'withLinked'>): Promise<void> {
    const keys = await this.keySets.keySet(tenant, this.clock());
    const typed = this.tokens.distinct(tenant, subjects, keys);
    const { stored } = await this.store.readErasure(tenant, request.requestId, []);
    if (stored === null) return;
    refuseReuse(
      stored.requestDigest,
      digestOf(
        tenant,
        typed.map((p) => p.blindIndex),
        request.withLinked === true,
      ),
    );
  }

  async applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult> {
    if (!Array.isArray(records)) throw new AmpsealError('BAD_TOMBSTONE', 'tombstone records must be an array');
    for (const r of records) {
      if (!isTombstoneRecord(r)) throw new AmpsealError('BAD_TOMBSTONE', 'malformed tombstone record; none applied');
    }
    let applied = 0;
    let keysDeleted = 0;
    for (let from = 0; from < records.length; from += TOMBSTONES_PER_CALL) {
      const chunk = records.slice(from, from + TOMBSTONES_PER_CALL);
      const done = await this.store.applyTombstones(chunk, this.clock());
      // K31: this instance forgets what it cached for these subjects; the next lookup reads the tombstone.
      for (const r of chunk) this.tokens.evictByBlindIndex(r.tenant, r.blindIndex);
      applied += done.applied;
      keysDeleted += done.keysDeleted;
    }
    if (records.length > 0) this.logger?.info({ event: 'keyring.tombstones.applied', records: records.length, applied, keysDeleted });
    return { applied, keysDeleted };
  }
}
