import { createTransform, QUARANTINE_REASONS, type InputRecord, type RecordResult, type Transform } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { AUDIENCES } from '../dataset';
import { type CorpusOptions, type FuzzCase, createCorpus } from './corpus';
import { leakedIdentifiers } from './leaks';

/**
 * `npm run fuzz` in process: the corpus through the one Transform (createTransform, memory key ring), in
 * batches as the pipeline runs it. Three oracles:
 *   - a crash: anything the transform throws is a bug (bad input must become a quarantine entry); the batch is
 *     run again record by record to name the index that throws, which with the seed reproduces it;
 *   - classification: every record gets exactly one result, and a quarantine reason from the error table;
 *   - privacy: no raw identifier of an input appears in its analytics record in any spelling (leaks.ts).
 */

export const FUZZ_TENANT = 'acme-cpo';
export const FUZZ_BATCH = 500;

export interface Crash {
  readonly seed: number;
  readonly index: number;
  /** Error class, code and message: the table's messages carry no identifier (style rule 5). */
  readonly error: string;
  readonly mutations: readonly string[];
}

export interface Leak {
  readonly seed: number;
  readonly index: number;
  /** How many of the record's identifiers were found (never which values). */
  readonly identifiers: number;
  readonly mutations: readonly string[];
}

export interface FuzzReport {
  readonly seed: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerS: number;
  readonly origins: Record<string, number>;
  /** `emitted`, `skipped:<why>`, `quarantined:<reason>` → count. */
  readonly outcomes: Record<string, number>;
  readonly mutations: Record<string, number>;
  /** Generator-malformed records quarantined with another reason than it expects (or not quarantined). */
  readonly wrongReason: number;
  /** Records without exactly one result, or with a reason outside the error table. */
  readonly unclassified: number;
  readonly analyticsChecked: number;
  readonly crashCount: number;
  /** Crashes by error class and message (all of them, not only the listed ones). */
  readonly crashKinds: Record<string, number>;
  readonly leakCount: number;
  /** The first 50 of each. */
  readonly crashes: readonly Crash[];
  readonly leaks: readonly Leak[];
}

export interface FuzzOptions extends CorpusOptions {
  readonly events: number;
  readonly progress?: (done: number) => void;
  /** Called with each batch and its results (the pipeline mode builds its expectations from them). */
  readonly onBatch?: (cases: readonly FuzzCase[], results: readonly (RecordResult | undefined)[]) => void;
}

/** The transform every fuzz run uses: the default policy, both audiences, the one tenant the stack's KMS knows. */
export function fuzzTransform(): Transform {
  const keyring = createMemoryKeyRing({ cacheSize: 200_000, cacheTtlMs: 3_600_000 });
  return createTransform({ tokens: keyring, audiences: AUDIENCES, tenants: [FUZZ_TENANT] });
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(QUARANTINE_REASONS);
const MAX_LISTED = 50;

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message.split('\n')[0]!.slice(0, 200)}`;
  }
  return `non-error thrown: ${typeof err}`;
}

export function outcomeKey(result: RecordResult): string {
  if (result.status === 'quarantined') return `quarantined:${result.reason}`;
  if (result.status === 'skipped') return `skipped:${result.why}`;
  return 'emitted';
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const corpus = createCorpus(options);
  const transform = fuzzTransform();
  const origins: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const mutations: Record<string, number> = {};
  const crashes: Crash[] = [];
  const leaks: Leak[] = [];
  let wrongReason = 0;
  let unclassified = 0;
  let analyticsChecked = 0;
  let crashCount = 0;
  const crashKinds: Record<string, number> = {};
  let leakCount = 0;
  const bump = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };

  const started = performance.now();
  for (let done = 0; done < options.events; ) {
    const size = Math.min(FUZZ_BATCH, options.events - done);
    const cases: FuzzCase[] = new Array(size);
    const inputs: InputRecord[] = new Array(size);
    for (let j = 0; j < size; j++) {
      const c = corpus.next();
      cases[j] = c;
      inputs[j] = { value: c.value, eventId: `fuzz:0:${c.index}` };
      bump(origins, c.origin);
      for (const m of c.mutations) bump(mutations, m);
    }
    let results: (RecordResult | undefined)[];
    try {
      results = await transform.run(inputs);
    } catch {
      // One record threw for the whole batch: run each alone to name it (and keep the others' results).
      results = new Array(size);
      for (let j = 0; j < size; j++) {
        try {
          results[j] = (await transform.run([inputs[j]!]))[0];
        } catch (err) {
          const c = cases[j]!;
          crashCount++;
          bump(crashKinds, describe(err));
          if (crashes.length < MAX_LISTED) crashes.push({ seed: options.seed, index: c.index, error: describe(err), mutations: c.mutations });
          results[j] = undefined;
          bump(outcomes, 'crashed');
        }
      }
    }
    if (results.length !== size) unclassified += Math.abs(results.length - size);
    for (let j = 0; j < size; j++) {
      const c = cases[j]!;
      const r = results[j];
      if (r === undefined) continue;
      const key = outcomeKey(r);
      bump(outcomes, key);
      if (r.status === 'quarantined' && !KNOWN_REASONS.has(r.reason)) unclassified++;
      if (c.origin === 'malformed' && (r.status !== 'quarantined' || r.reason !== c.expectedReason)) wrongReason++;
      if (r.status === 'emitted' && r.analytics !== undefined) {
        analyticsChecked++;
        const found = leakedIdentifiers(JSON.stringify(r.analytics), c.identifiers);
        if (found.length > 0) leakCount++;
        if (found.length > 0 && leaks.length < MAX_LISTED) leaks.push({ seed: options.seed, index: c.index, identifiers: found.length, mutations: c.mutations });
      }
    }
    options.onBatch?.(cases, results);
    done += size;
    options.progress?.(done);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seed: options.seed,
    events: options.events,
    seconds,
    eventsPerS: options.events / seconds,
    origins,
    outcomes,
    mutations,
    wrongReason,
    unclassified,
    analyticsChecked,
    crashCount,
    crashKinds,
    leakCount,
    crashes,
    leaks,
  };
}

/** The record `index` of seed `seed`, for reproducing a crash (`npm run fuzz -- --seed S --dump I`). */
export function caseAt(options: CorpusOptions, index: number): FuzzCase {
  const corpus = createCorpus(options);
  for (;;) {
    const c = corpus.next();
    if (c.index === index) return c;
  }
}
