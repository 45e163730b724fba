import { createRandom, createTraffic, type MalformedReason, type Traffic, type TrafficTopic } from '@ampseal/traffic';
import { type Mutation, mutate } from './mutate';

/**
 * The fuzzer's input stream: the traffic generator's records, of which a share is its malformed kinds (each
 * with the reason it must be quarantined for) and most valid ones are mutated (mutate.ts). Deterministic for a
 * seed: record `index` of seed `S` is the same bytes on every run, which is how a crash is reproduced.
 */

export interface FuzzCase {
  readonly index: number;
  readonly topic: TrafficTopic;
  readonly key: string;
  readonly value: Buffer;
  /** `valid` (untouched), `malformed` (the generator's kinds) or `mutated`. */
  readonly origin: 'valid' | 'malformed' | 'mutated';
  readonly expectedReason?: MalformedReason;
  readonly mutations: readonly Mutation[];
  /** The raw identifiers of the record before mutation: none may reach an analytics record. */
  readonly identifiers: readonly string[];
}

export interface CorpusOptions {
  readonly seed: number;
  /** Share of the generator's own malformed records. Default 0.2. */
  readonly malformedRate?: number;
  /** Share of valid records that are mutated. Default 0.75. */
  readonly mutationRate?: number;
  readonly stations?: number;
  readonly cards?: number;
}

/**
 * The broker refuses a record over message.max.bytes (1 MiB by default), so no producer can hand the pipeline a
 * larger one: a mutated record over this is cut short (a truncated record, as a producer's cut would give).
 */
export const MAX_RECORD_BYTES = 900 * 1024;

export const CORPUS_DEFAULTS = Object.freeze({ malformedRate: 0.2, mutationRate: 0.75, stations: 500, cards: 20_000 });

export interface Corpus {
  next(): FuzzCase;
  readonly options: Readonly<Required<CorpusOptions>>;
}

export function createCorpus(options: CorpusOptions): Corpus {
  const resolved = { ...CORPUS_DEFAULTS, ...options } as Required<CorpusOptions>;
  const traffic: Traffic = createTraffic({ seed: resolved.seed, stations: resolved.stations, cards: resolved.cards, malformedRate: resolved.malformedRate });
  // Its own stream: the traffic does not depend on the mutations, nor the mutations on the traffic's draws.
  const rng = createRandom(resolved.seed, 11);
  let index = 0;
  return {
    options: Object.freeze(resolved),
    next(): FuzzCase {
      const record = traffic.next();
      const identifiers = (record.subjects ?? []).map((s) => s.raw);
      const base = { index: index++, topic: record.topic, key: record.key, identifiers };
      if (record.kind === 'malformed') {
        return { ...base, value: Buffer.from(record.value, 'utf8'), origin: 'malformed', expectedReason: record.expectedReason!, mutations: [] };
      }
      if (!rng.chance(resolved.mutationRate)) return { ...base, value: Buffer.from(record.value, 'utf8'), origin: 'valid', mutations: [] };
      const mutated = mutate(rng, record.value, identifiers);
      const value = mutated.value.length > MAX_RECORD_BYTES ? mutated.value.subarray(0, MAX_RECORD_BYTES) : mutated.value;
      return { ...base, value, origin: 'mutated', mutations: mutated.mutations };
    },
  };
}
