import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readToEnd, type KafkaClient } from '@ampseal/kafka';
import { loadConfig, type Config } from '@ampseal/service-kit';
import { kafkaClient, registryClient } from './clients';
import { GroupProgress } from './kafka';
import { pipelineEnv } from './pipeline';

export interface PipelineTopics {
  /** The raw topic the inputs were written to (its end offsets say which event ids exist). */
  readonly input: string;
  readonly analytics: string;
  readonly quarantine: string;
}

/** What a fault-matrix case starts from: one pipeline's environment, configuration and topics, and its group's progress. */
export interface FaultPipeline {
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly topics: PipelineTopics;
  /** A client of the file's own (registered for clean-up by the harness). */
  readonly kafka: KafkaClient;
  readonly progress: GroupProgress;
}

/** `overrides` on top of `pipelineEnv()`; the analytics audience alone (the fault matrix tallies analytics and quarantine). */
export function faultPipeline(name: string, overrides: Record<string, string>): FaultPipeline {
  const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', ...overrides });
  const config = loadConfig(env);
  const topics = { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine };
  const kafka = kafkaClient(name);
  return { env, config, topics, kafka, progress: new GroupProgress(kafka, config.groupId, topics.input) };
}

export interface Tally {
  /** Input records (event ids expected). */
  readonly events: number;
  /** Output records seen (analytics + quarantine). */
  readonly outputs: number;
  /** Input event ids with no output. */
  readonly lost: readonly string[];
  /** Input event ids with more than one output (one entry per extra output). */
  readonly duplicated: readonly string[];
  /** The decoded analytics records (`meterWh` is the input's index when the input came from `indexedStart`). */
  readonly analytics: ReadonlyArray<{ readonly eventId: string; readonly meterWh: number }>;
}

/**
 * Exactly once, judged per event id: every input offset (`eventId` is `topic:partition:offset`) against the
 * analytics and quarantine outputs read read_committed to their end offsets (an exact read, not a quiet period:
 * a duplicate cannot hide after the last record looked for). Call once everything is committed and the services
 * writing the outputs are gone, so the answer is final.
 */
export async function tallyOutputs(kafka: KafkaClient, topics: PipelineTopics, progress: GroupProgress): Promise<Tally> {
  const expected: string[] = [];
  for (const [partition, end] of await progress.ends()) for (let o = 0; o < end; o++) expected.push(`${topics.input}:${partition}:${o}`);
  const { records } = await readToEnd(kafka, [topics.analytics, topics.quarantine], { deadlineMs: 60_000 });
  const registry = registryClient();
  const analytics: Array<{ eventId: string; meterWh: number }> = [];
  const ids: string[] = [];
  for (const r of records) {
    if (r.topic === topics.quarantine) {
      ids.push(r.headers['ampseal.source'] ?? 'quarantined without a source');
      continue;
    }
    const event = (await registry.decode(r.value!)) as { eventId: string; meterWh: number };
    analytics.push(event);
    ids.push(event.eventId);
  }
  const seen = new Set<string>();
  const duplicated: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) duplicated.push(id);
    seen.add(id);
  }
  return { events: expected.length, outputs: ids.length, lost: expected.filter((id) => !seen.has(id)), duplicated, analytics };
}

export interface FaultRow {
  readonly case: string;
  readonly events: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the fault's end (dependency back, instance resumed) until committed input moved on; null when not applicable. */
  readonly resumeMs: number | null;
  /** Anything else the case measured (exit codes, stop times, …). */
  readonly [more: string]: unknown;
}

const REPORT = join(__dirname, '..', 'reports', 'faults.jsonl');

/**
 * One fault-matrix row: a log line on stderr and a line appended to `test/reports/faults.jsonl` (ignored by git),
 * from which the closing note's table is written.
 */
export function reportFault(row: FaultRow): void {
  const line = JSON.stringify({ ...row, client: process.env.AMPSEAL_TEST_KAFKA_CLIENT ?? 'kafkajs', at: new Date().toISOString() });
  process.stderr.write(`\n[fault-matrix] ${line}\n`);
  mkdirSync(join(REPORT, '..'), { recursive: true });
  appendFileSync(REPORT, `${line}\n`);
}

/** Where a fault case is, on stderr with the seconds since the file began: a failure's message alone does not say which phase it came from. */
export function phaseLog(tag: string): (what: string) => void {
  const began = Date.now();
  return (what) => process.stderr.write(`[${tag} +${((Date.now() - began) / 1000).toFixed(1)} s] ${what}\n`);
}
