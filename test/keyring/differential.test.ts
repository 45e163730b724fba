import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { AmpsealError, epochName, epochOf, type IdentifierKind, type TokenOutcome } from '@ampseal/core';
import type { ErasureResult, KeyRing, SubjectId, TombstoneRecord } from '@ampseal/keyring';
import { openMemoryConformanceStore, type ConformanceStore } from '@ampseal/keyring/dist/conformance';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, VOLTWAY } from './keyring-fixtures';
import { openRedisConformanceStore } from './redis-conformance-store';

/**
 * Differential test: the in-memory store (memory.ts, TypeScript) and the Redis store (the Lua scripts) are two
 * implementations of one state machine (SPEC K28). Random operation sequences run against both, each with two
 * key-ring instances over one store and one clock, and every outcome is compared, then the state at the end.
 * Key material differs between the two, so tokens and blind indexes are compared as equality patterns: each
 * side numbers them in order of first appearance, and the numbers must match.
 *
 * Replay a failure with `AMPSEAL_DIFF_SEED=<seed>` (printed on failure); `AMPSEAL_DIFF_RUNS` changes the run count.
 */
const resources = useResources();
const redis = redisClient(resources);

const TENANTS = [ACME, VOLTWAY] as const;
const KINDS: readonly IdentifierKind[] = ['uid', 'group'];
const VALUES = ['04A2B3C4', '04D5E6F7', 'NL-ABC-C12345678-X'];
const SITES = ['LOC-HOME-1', 'LOC-HOME-2', 'garage-de-vries'];
const REQUEST_IDS = ['req-1', 'req-2', 'req-3', 'req-4', 'req-5'];
/**
 * Event and erasure times are T0 + k·STEP (+ 0.25 ms now and then), k in −2..2, so they often meet exactly
 * (K17: at ≤ erasedAt); events sometimes have no valid time or an infinite one (clamped before the store).
 */
const STEP = 1_000;
const TTL = 60_000;
const SITE_REFRESH = 30_000;
const RUNS = Number(process.env.AMPSEAL_DIFF_RUNS ?? 50);
/** Bounds the run and the shrinking after a failure (each attempt opens a Redis store); longer for a bug hunt. */
const TIME_LIMIT_MS = Math.max(60_000, RUNS * 1_000);

/** Milliseconds after T0, or a time that is not one. */
type EventTime = number | 'NaN' | 'Infinity' | '-Infinity';
interface Subject {
  readonly kind: number;
  readonly value: number;
}
type Instance = 0 | 1;
type Op =
  | {
      readonly op: 'tokens';
      readonly instance: Instance;
      /** `epochDays`: null for no epoch; else the event moves that many days back and carries EPOCH (K44–K46). */
      readonly requests: ReadonlyArray<{ tenant: number; subject: Subject; at: EventTime; epochDays: number | null }>;
    }
  | { readonly op: 'destroyEpochs'; readonly instance: Instance; readonly tenant: number; readonly days: readonly number[] }
  | { readonly op: 'tokensByEpoch'; readonly instance: Instance; readonly tenant: number; readonly subjects: readonly Subject[] }
  | {
      readonly op: 'erase';
      readonly instance: Instance;
      readonly tenant: number;
      readonly subjects: readonly Subject[];
      readonly requestId: number;
      readonly erasedAt: number;
    }
  | { readonly op: 'restrict'; readonly instance: Instance; readonly tenant: number; readonly subjects: readonly Subject[]; readonly on: boolean }
  | { readonly op: 'currentTokens'; readonly instance: Instance; readonly tenant: number; readonly subjects: readonly Subject[] }
  | {
      readonly op: 'applyTombstones';
      readonly instance: Instance;
      readonly picks: ReadonlyArray<{ index: number; change: 'as-recorded' | 'later' | 'next-generation' }>;
    }
  | { readonly op: 'evict'; readonly instance: Instance; readonly tenant: number; readonly picks: readonly number[] }
  | { readonly op: 'learnPrivateSites'; readonly instance: Instance; readonly tenant: number; readonly sites: readonly number[] }
  | { readonly op: 'links'; readonly instance: Instance; readonly tenant: number }
  | { readonly op: 'backup' }
  | { readonly op: 'restore'; readonly recordsOnly: boolean }
  | { readonly op: 'clock'; readonly ms: number };

const DAY = 86_400_000;
/** P1D windows and a P2D retention: an event 3 days back is in an expired epoch, 1 day back in a live one. */
const EPOCH = { windowMs: DAY, retentionMs: 2 * DAY };
const epochDays = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(0, 1, 3) });

const instance = fc.constantFrom<Instance>(0, 1);
// Few subjects, mostly one tenant and kind, so operations on one subject meet often.
const tenant = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
const kind = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
const subject = fc.record({ kind, value: fc.nat(VALUES.length - 1) });
const subjects = (minLength: number) => fc.array(subject, { minLength, maxLength: 3 });
const time = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -2, max: 2 }).map((k) => k * STEP) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((k) => k * STEP + 0.25) },
);
const eventTime: fc.Arbitrary<EventTime> = fc.oneof(
  { weight: 12, arbitrary: time },
  { weight: 1, arbitrary: fc.constantFrom('NaN' as const, 'Infinity' as const, '-Infinity' as const) },
);

const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('tokens' as const),
      instance,
      requests: fc.array(fc.record({ tenant, subject, at: eventTime, epochDays }), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroyEpochs' as const), instance, tenant, days: fc.array(fc.constantFrom(0, 1, 3), { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tokensByEpoch' as const), instance, tenant, subjects: subjects(1) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('erase' as const),
      instance,
      tenant,
      subjects: subjects(0),
      requestId: fc.nat(REQUEST_IDS.length - 1),
      erasedAt: time,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('restrict' as const), instance, tenant, subjects: subjects(1), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('currentTokens' as const), instance, tenant, subjects: subjects(1) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('applyTombstones' as const),
      instance,
      picks: fc.array(
        fc.record({ index: fc.nat(), change: fc.constantFrom('as-recorded' as const, 'later' as const, 'next-generation' as const) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('evict' as const), instance, tenant, picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('learnPrivateSites' as const),
      instance,
      tenant,
      sites: fc.array(fc.nat(SITES.length - 1), { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('links' as const), instance, tenant }) },
  { weight: 1, arbitrary: fc.constant({ op: 'backup' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restore' as const), recordsOnly: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('clock' as const), ms: fc.constantFrom(1, 1_000, SITE_REFRESH - 1, SITE_REFRESH, TTL, 2 * TTL) }) },
);

const subjectId = (s: Subject): SubjectId => ({ kind: KINDS[s.kind]!, value: VALUES[s.value]! });

/** One side: a store, two instances on it, and the numbering of the tokens and blind indexes it has shown. */
class Side {
  readonly rings: KeyRing[] = [];
  /** Tokens (subject and link) in order of first appearance. */
  private readonly tokens: string[] = [];
  private readonly tokenIds = new Map<string, number>();
  private readonly blindIds = new Map<string, number>();
  /** Every tombstone record erase returned, in order: the journal. */
  readonly journal: TombstoneRecord[] = [];
  private backup: unknown;

  constructor(readonly store: ConformanceStore) {}

  token(t: string | null): number | null {
    if (t === null) return null;
    let id = this.tokenIds.get(t);
    if (id === undefined) {
      id = this.tokens.length;
      this.tokens.push(t);
      this.tokenIds.set(t, id);
    }
    return id;
  }

  blindIndex(b: string): number {
    let id = this.blindIds.get(b);
    if (id === undefined) this.blindIds.set(b, (id = this.blindIds.size));
    return id;
  }

  outcome(o: TokenOutcome): unknown {
    return o.status === 'TOKENIZED' ? { status: o.status, token: this.token(o.token) } : { status: o.status };
  }

  erasure(r: ErasureResult): unknown {
    return {
      retiredTokens: r.retiredTokens.map((t) => this.token(t)),
      erased: r.erased,
      alreadyErased: r.alreadyErased,
      tombstones: r.tombstones.map((t) => ({ ...t, blindIndex: this.blindIndex(t.blindIndex) })),
    };
  }

  /**
   * An operation's result with the counters the engine keeps per instance (keys created, cache hits and misses:
   * a store that created a key the other did not shows here at once). KMS calls and round trips differ by design.
   */
  async observe(op: Op): Promise<unknown> {
    const result = await this.run(op);
    const counters = this.rings.map((r) => {
      const { keysCreated, cacheHits, cacheMisses } = r.stats();
      return { keysCreated, cacheHits, cacheMisses };
    });
    return { result, counters };
  }

  /** Runs one operation; the result is comparable across sides (tokens and blind indexes as numbers). */
  async run(op: Op): Promise<unknown> {
    switch (op.op) {
      case 'tokens': {
        const outcomes = await this.rings[op.instance]!.tokens(
          op.requests.map((r) => {
            const at = (typeof r.at === 'string' ? Number(r.at) : T0 + r.at) - (r.epochDays ?? 0) * DAY;
            return { subject: { tenant: TENANTS[r.tenant]!, ...subjectId(r.subject) }, at, ...(r.epochDays === null ? {} : { epoch: EPOCH }) };
          }),
        );
        return outcomes.map((o) => this.outcome(o));
      }
      case 'erase': {
        const result = await this.rings[op.instance]!.erase(TENANTS[op.tenant]!, op.subjects.map(subjectId), {
          requestId: REQUEST_IDS[op.requestId]!,
          erasedAt: T0 + op.erasedAt,
        });
        this.journal.push(...result.tombstones);
        // K29: what the store now holds for each subject (the records returned must be the ones written)
        const stored = await Promise.all(result.tombstones.map((t) => this.store.tombstone(t.tenant, t.blindIndex)));
        return { ...(this.erasure(result) as object), stored };
      }
      case 'destroyEpochs': {
        const names = op.days.map((d) => epochName(epochOf(T0 - d * DAY, DAY), DAY));
        const done = await this.rings[op.instance]!.destroyEpochs(TENANTS[op.tenant]!, names, T0);
        return done.destroyed;
      }
      case 'tokensByEpoch': {
        const states = await this.rings[op.instance]!.tokensByEpoch(TENANTS[op.tenant]!, op.subjects.map(subjectId));
        return states.map((s) => ({ ...s, token: this.token(s.token), tokens: s.tokens.map((t) => ({ epoch: t.epoch, token: this.token(t.token) })) }));
      }
      case 'restrict':
        return this.rings[op.instance]!.restrict(TENANTS[op.tenant]!, op.subjects.map(subjectId), op.on);
      case 'currentTokens': {
        const states = await this.rings[op.instance]!.currentTokens(TENANTS[op.tenant]!, op.subjects.map(subjectId));
        return states.map((s) => ({ ...s, token: this.token(s.token) }));
      }
      case 'applyTombstones': {
        if (this.journal.length === 0) return 'no journal yet';
        const records = op.picks.map(({ index, change }) => {
          const r = this.journal[index % this.journal.length]!;
          if (change === 'later') return { ...r, erasedAt: r.erasedAt + STEP, requestId: `${r.requestId}-later` };
          if (change === 'next-generation') return { ...r, generation: r.generation + 1, requestId: `${r.requestId}-next` };
          return r;
        });
        return this.rings[op.instance]!.applyTombstones(records);
      }
      case 'evict': {
        if (this.tokens.length === 0) return 'no token yet';
        return this.rings[op.instance]!.evict(
          TENANTS[op.tenant]!,
          op.picks.map((i) => this.tokens[i % this.tokens.length]!),
        );
      }
      case 'learnPrivateSites':
        await this.rings[op.instance]!.learnPrivateSites(
          TENANTS[op.tenant]!,
          op.sites.map((i) => SITES[i]!),
        );
        return 'learned';
      case 'links': {
        const links = await this.rings[op.instance]!.links(TENANTS[op.tenant]!);
        return SITES.map((site) => ({
          private: links.isPrivate(site),
          public: this.token(links.token('location', site, false)),
          privateDomain: this.token(links.token('location', site, true)),
        }));
      }
      case 'backup':
        this.backup = await this.store.backup();
        return 'backed up';
      case 'restore':
        if (this.backup === undefined) return 'no backup yet';
        if (op.recordsOnly) await this.store.restoreRecords(this.backup);
        else await this.store.restore(this.backup);
        return 'restored';
      case 'clock':
        return 'moved';
    }
  }

  /** The observable state at the end: every subject's current token, the stored records and tombstones. */
  async state(): Promise<unknown> {
    const everyone = KINDS.flatMap((_, kind) => VALUES.map((__, value) => subjectId({ kind, value })));
    const out: Record<string, unknown> = {};
    for (const t of TENANTS) {
      const states = await this.rings[0]!.currentTokens(t, everyone);
      out[`${t} current`] = states.map((s) => ({ ...s, token: this.token(s.token) }));
      out[`${t} generations`] = await this.store.recordGenerations(t);
      out[`${t} sites`] = (await this.store.privateSites(t)).length;
      out[`${t} epochs`] = (await this.rings[0]!.epochs(t)).sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    const seen = new Map(this.journal.map((r) => [`${r.tenant}\0${r.blindIndex}`, r] as const));
    out.tombstones = await Promise.all(
      [...seen.values()].map(async (r) => ({ blindIndex: this.blindIndex(r.blindIndex), stored: await this.store.tombstone(r.tenant, r.blindIndex) })),
    );
    return out;
  }
}

/** An operation's result, or the error it failed with (both sides must fail alike). */
async function attempt(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AmpsealError) return { error: err.code };
    throw err;
  }
}

async function differential(ops: readonly Op[]): Promise<void> {
  let now = T0 + 60_000;
  const sides = [new Side(await openMemoryConformanceStore()), new Side(await openRedisConformanceStore(resources, redis))];
  try {
    for (const side of sides) {
      for (let i = 0; i < 2; i++) side.rings.push(await side.store.ring({ clock: () => now, cacheTtlMs: TTL, siteRefreshMs: SITE_REFRESH }));
    }
    const requests = new Map<string, Extract<Op, { op: 'erase' }>>();
    for (const [i, op] of ops.entries()) {
      if (op.op === 'clock') now += op.ms;
      if (op.op === 'erase' && !requests.has(`${op.tenant}:${op.requestId}`)) requests.set(`${op.tenant}:${op.requestId}`, op);
      const memory = await attempt(() => sides[0]!.observe(op));
      const redisResult = await attempt(() => sides[1]!.observe(op));
      if (!isDeepStrictEqual(memory, redisResult)) {
        throw new Error(`operation ${i} ${JSON.stringify(op)}:\n  memory ${JSON.stringify(memory)}\n  redis  ${JSON.stringify(redisResult)}`);
      }
    }
    // The end state, then every request id again (its stored result, or a re-run after a restore lost it).
    const [memoryState, redisState] = [await sides[0]!.state(), await sides[1]!.state()];
    expect(redisState).toEqual(memoryState);
    for (const op of requests.values()) {
      const [memory, redisResult] = [await attempt(() => sides[0]!.run(op)), await attempt(() => sides[1]!.run(op))];
      expect({ request: op, result: redisResult }).toEqual({ request: op, result: memory });
    }
  } finally {
    for (const side of sides) await side.store.close();
  }
}

describe('key-ring stores agree (differential: in-memory TypeScript vs Redis Lua, real Redis + local-kms)', () => {
  it(`K28 ${RUNS} random sequences of ≤ 40 operations give the same outcomes and end state on both stores`, async () => {
    const seed = process.env.AMPSEAL_DIFF_SEED !== undefined ? Number(process.env.AMPSEAL_DIFF_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
    try {
      await fc.assert(fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40, size: 'max' }), differential), {
        numRuns: RUNS,
        seed,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
        includeErrorInReport: true,
      });
    } catch (err) {
      throw new Error(`differential test failed; replay with AMPSEAL_DIFF_SEED=${seed}\n${(err as Error).message}`);
    }
  }, TIME_LIMIT_MS + 60_000);
});
