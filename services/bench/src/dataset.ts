import { readFileSync, writeFileSync } from 'node:fs';
import {
  createTransform,
  type Transform,
  type Audience,
  type InputRecord,
  type TokenRequest,
  type TokenSource,
} from '@ampseal/core';
import { createMemoryKeyRing, type MemoryKeyRing } from '@ampseal/keyring';
import { createTraffic, OCPI_TOPIC } from '@ampseal/traffic';

/**
 * The benchmark's data, generated once per run and shared by every phase (design §10: "in one run on the
 * same data"). Each record's raw-topic partition and offset are fixed here, before anything is written:
 * partition = FNV-1a(key) mod partitions, offsets in generation order from 0 on a fresh topic. So every
 * record's eventId (`topic:partition:offset`, what the pipeline writes into the analytics record) is known
 * up front, and the run checks exactly-once against an oracle: the same Transform, in process, over the same
 * records, says which inputs must yield an analytics record, a roaming record or a quarantine entry.
 */

export const AUDIENCES: readonly Audience[] = ['analytics', 'roaming'];

/** Outcome bits per record, from the oracle. */
export const ANALYTICS = 1;
export const ROAMING = 2;
export const QUARANTINE = 4;

export interface RawTopics {
  readonly ocpp: string;
  readonly ocpi: string;
}

export interface Dataset {
  readonly size: number;
  readonly partitions: number;
  /** The records themselves, until releaseRecords() (the Kafka phases need only the metadata below). */
  readonly values: readonly Buffer[];
  readonly keys: readonly string[];
  /** bytesBefore[i]: total value bytes of records [0, i). */
  readonly bytesBefore: Float64Array;
  /** 0: the OCPP raw topic, 1: the OCPI raw topic. */
  readonly topic: Uint8Array;
  readonly partition: Uint8Array;
  /** Offset in its raw topic-partition when the whole set is written to fresh topics. */
  readonly offset: Uint32Array;
  readonly outcome: Uint8Array;
  /** Malformed records: index → the quarantine reason the generator expects. */
  readonly expectedReason: ReadonlyMap<number, string>;
  /** Records per [topic][partition]. */
  readonly perPartition: readonly (readonly number[])[];
  readonly counts: { readonly analytics: number; readonly roaming: number; readonly quarantined: number; readonly malformed: number };
  /** The roaming recipients (`NL-TNM`) the oracle saw: one roaming topic each. */
  readonly recipients: ReadonlySet<string>;
  /** Distinct subjects (tenant, kind, normalized value) the key ring minted a key for. */
  readonly distinctSubjects: number;
  /** One token request per distinct subject, at its latest event time (pre-creates the Redis keys). */
  readonly subjects: readonly TokenRequest[];
  readonly bytes: number;
  readonly generationMs: number;
  /** The warm in-memory key ring of the oracle pass (the transform phase measures with it). */
  readonly keyring: MemoryKeyRing;
  /**
   * Drops the record bytes, keys, subjects and key ring: the full run holds 1.6 GB of them, and this process
   * should not pause for GC while it drives and watches the Kafka phases.
   */
  releaseRecords(): void;
}

export interface DatasetOptions {
  readonly seed: number;
  readonly stations: number;
  readonly cards: number;
  readonly malformedRate: number;
  readonly partitions: number;
  /** Exactly this many events; or, when undefined, generate until `minSubjects` (at least `minEvents`). */
  readonly events: number | undefined;
  readonly minSubjects: number;
  readonly minEvents: number;
  readonly maxEvents: number;
  readonly topics: RawTopics;
  readonly progress?: (events: number, subjects: number) => void;
}

/** FNV-1a 32-bit: a stable, cheap key hash, so one station's records stay in order in one partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export function eventIdOf(data: Dataset, topics: RawTopics, i: number): string {
  return `${data.topic[i] === 0 ? topics.ocpp : topics.ocpi}:${data.partition[i]}:${data.offset[i]}`;
}

export function benchTransform(tokens: TokenSource): Transform {
  return createTransform({ tokens, audiences: AUDIENCES });
}

const CHUNK = 500;

export async function buildDataset(options: DatasetOptions): Promise<Dataset> {
  const started = performance.now();
  const traffic = createTraffic({ seed: options.seed, stations: options.stations, cards: options.cards, malformedRate: options.malformedRate });
  // The cache holds every subject: the transform phase then measures the warm path (design §4: bounded LRU).
  const keyring = createMemoryKeyRing({ cacheSize: 10_000_000, cacheTtlMs: 24 * 3_600_000 });
  const subjects = new Map<string, TokenRequest>();
  const recording: TokenSource = {
    tokens(requests) {
      for (const r of requests) {
        const id = `${r.subject.tenant}\0${r.subject.kind}\0${r.subject.value}`;
        const known = subjects.get(id);
        if (known === undefined || known.at < r.at) subjects.set(id, r);
      }
      return keyring.tokens(requests);
    },
    links: (tenant) => keyring.links(tenant),
    learnPrivateSites: (tenant, values) => keyring.learnPrivateSites(tenant, values),
  };
  const oracle = benchTransform(recording);

  const capacity = options.events ?? options.maxEvents;
  const P = options.partitions;
  const values: Buffer[] = [];
  const keys: string[] = [];
  let topic = new Uint8Array(Math.min(capacity, 1 << 20));
  let partition = new Uint8Array(topic.length);
  let offset = new Uint32Array(topic.length);
  let outcome = new Uint8Array(topic.length);
  const expectedReason = new Map<number, string>();
  const perPartition = [new Array<number>(P).fill(0), new Array<number>(P).fill(0)];
  let analytics = 0;
  let roaming = 0;
  const recipients = new Set<string>();
  let quarantined = 0;
  let bytes = 0;
  let n = 0;

  const done = () =>
    options.events !== undefined ? n >= options.events : n >= options.maxEvents || (n >= options.minEvents && keyring.stats().keysCreated >= options.minSubjects);

  while (!done()) {
    const take = Math.min(CHUNK, capacity - n);
    if (n + take > topic.length) {
      const grow = <T extends Uint8Array | Uint32Array>(a: T, make: (len: number) => T): T => {
        const b = make(Math.min(capacity, a.length * 2));
        b.set(a);
        return b;
      };
      topic = grow(topic, (l) => new Uint8Array(l));
      partition = grow(partition, (l) => new Uint8Array(l));
      offset = grow(offset, (l) => new Uint32Array(l));
      outcome = grow(outcome, (l) => new Uint8Array(l));
    }
    const inputs: InputRecord[] = new Array(take);
    for (let j = 0; j < take; j++) {
      const record = traffic.next();
      const i = n + j;
      const t = record.topic === OCPI_TOPIC ? 1 : 0;
      const p = partitionOf(record.key, P);
      const value = Buffer.from(record.value, 'utf8');
      values.push(value);
      keys.push(record.key);
      topic[i] = t;
      partition[i] = p;
      offset[i] = perPartition[t]![p]!++;
      bytes += value.length;
      if (record.expectedReason !== undefined) expectedReason.set(i, record.expectedReason);
      inputs[j] = { value, eventId: `${t === 0 ? options.topics.ocpp : options.topics.ocpi}:${p}:${offset[i]}` };
    }
    const results = await oracle.run(inputs);
    for (let j = 0; j < take; j++) {
      const r = results[j]!;
      let bits = 0;
      if (r.status === 'quarantined') {
        bits = QUARANTINE;
        quarantined++;
      } else if (r.status === 'emitted') {
        if (r.analytics) {
          bits |= ANALYTICS;
          analytics++;
        }
        if (r.roaming) {
          bits |= ROAMING;
          roaming++;
          recipients.add(r.roaming.recipient);
        }
      }
      outcome[n + j] = bits;
    }
    n += take;
    if (n % 100_000 === 0) options.progress?.(n, keyring.stats().keysCreated);
  }

  const bytesBefore = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) bytesBefore[i + 1] = bytesBefore[i]! + values[i]!.length;
  const subjectList = [...subjects.values()];
  subjects.clear();
  return {
    size: n,
    partitions: P,
    values,
    keys,
    bytesBefore,
    topic: topic.subarray(0, n),
    partition: partition.subarray(0, n),
    offset: offset.subarray(0, n),
    outcome: outcome.subarray(0, n),
    expectedReason,
    perPartition,
    counts: { analytics, roaming, quarantined, malformed: expectedReason.size },
    recipients,
    distinctSubjects: keyring.stats().keysCreated,
    subjects: subjectList,
    bytes,
    generationMs: performance.now() - started,
    keyring,
    releaseRecords() {
      values.length = 0;
      keys.length = 0;
      subjectList.length = 0;
      void keyring.stop();
    },
  };
}

/**
 * The first `count` records as a file for the latency load generator (a child process, so that the pacing and
 * the reader run in a small heap, not in this one): per record topic, partition and outcome bytes, key length
 * (u16), value length (u32), key, value.
 */
export function writeSubset(data: Dataset, count: number, file: string): void {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8);
  head.write('AMPL', 0, 'latin1');
  head.writeUInt32BE(count, 4);
  parts.push(head);
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(data.keys[i]!, 'utf8');
    const value = data.values[i]!;
    const meta = Buffer.alloc(9);
    meta[0] = data.topic[i]!;
    meta[1] = data.partition[i]!;
    meta[2] = data.outcome[i]!;
    meta.writeUInt16BE(key.length, 3);
    meta.writeUInt32BE(value.length, 5);
    parts.push(meta, key, value);
  }
  writeFileSync(file, Buffer.concat(parts));
}

export interface SubsetRecord {
  readonly topic: number;
  readonly partition: number;
  readonly outcome: number;
  readonly key: string;
  readonly value: Buffer;
}

export function readSubset(file: string): SubsetRecord[] {
  const buf = readFileSync(file);
  if (buf.toString('latin1', 0, 4) !== 'AMPL') throw new Error(`${file} is not a latency subset`);
  const count = buf.readUInt32BE(4);
  const out: SubsetRecord[] = new Array(count);
  let at = 8;
  for (let i = 0; i < count; i++) {
    const keyLength = buf.readUInt16BE(at + 3);
    const valueLength = buf.readUInt32BE(at + 5);
    const key = buf.toString('utf8', at + 9, at + 9 + keyLength);
    const value = buf.subarray(at + 9 + keyLength, at + 9 + keyLength + valueLength);
    out[i] = { topic: buf[at]!, partition: buf[at + 1]!, outcome: buf[at + 2]!, key, value };
    at += 9 + keyLength + valueLength;
  }
  return out;
}
