import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createKafka } from '@ampseal/kafka';
import { createLogger, loadConfig } from '@ampseal/service-kit';
import { POD_NODE_OPTIONS } from './args';
import { type BenchContext, createBenchContext } from './context';
import { type RawTopics, buildDataset } from './dataset';
import { createTopics, deleteTopics } from './kafka-io';
import { type LatencyOptions, type LatencyPipeline, type LatencyRun, prepareLatencySubset, runLatency } from './latency';
import { brokerPidOf } from './cpu';
import { stackFromEnvOrUp } from './stack';
import { median } from './stats';

/**
 * The latency phase alone, once per delivery setting, interleaved over rounds so drift on a shared machine hits
 * every setting alike: `node services/bench/dist/latency-modes.js [rounds] [T,T,…]` (after `npm run build`).
 * Each run is a fresh pipeline on raw topics of its own, fed the same records at the same offered load as the
 * bench's latency phase (quick: 5,000 events/s, 3 s warm-up, 10 s measured). A first, unreported run creates
 * the subject keys in Redis, as the bench does before measuring. Prints one line per run and the medians.
 */
const LATENCY: LatencyOptions = { rate: 5_000, warmupS: 3, measureS: 10 };
const PARTITIONS = 3;

function log(line: string): void {
  process.stderr.write(`[latency-modes] ${line}\n`);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 2);
  const budgets = (process.argv[3] ?? '').split(',').filter(Boolean).map(Number);
  const settings: LatencyPipeline[] = [
    { delivery: 'exactly-once' },
    { delivery: 'at-least-once' },
    ...budgets.flatMap((t): LatencyPipeline[] => [{ delivery: 'exactly-once', maxTransactionMs: t }, { delivery: 'at-least-once', maxTransactionMs: t }]),
  ];
  const root = path.resolve(__dirname, '..', '..', '..');
  const stackEnv = stackFromEnvOrUp(root);
  const config = loadConfig(stackEnv);
  const runId = `latmodes-${randomBytes(4).toString('hex')}`;
  const raw: RawTopics = { ocpp: `${runId}.ocpp.raw.v1`, ocpi: `${runId}.ocpi.raw.v1` };
  const data = await buildDataset({
    seed: 42,
    stations: 2_000,
    cards: 20_000,
    malformedRate: 0.005,
    partitions: PARTITIONS,
    events: LATENCY.rate * (LATENCY.warmupS + LATENCY.measureS),
    minSubjects: 0,
    minEvents: 0,
    maxEvents: LATENCY.rate * (LATENCY.warmupS + LATENCY.measureS),
    topics: raw,
  });
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: runId, logger: createLogger({ level: 'error', name: 'bench' }), security: config.kafkaSecurity });
  const ctx: BenchContext = createBenchContext({
    root,
    stackEnv,
    config,
    kafka,
    runId,
    data,
    raw,
    partitions: PARTITIONS,
    nodeOptions: POD_NODE_OPTIONS,
    brokerPid: brokerPidOf(root),
    profileDir: undefined,
    log,
  });
  const runs: Array<{ name: string; run: LatencyRun }> = [];
  let n = 0;
  const once = async (setting: LatencyPipeline): Promise<LatencyRun> => {
    n++;
    const topics: RawTopics = { ocpp: `${runId}.r${n}.ocpp.raw.v1`, ocpi: `${runId}.r${n}.ocpi.raw.v1` };
    ctx.created.topics.push(topics.ocpp, topics.ocpi);
    await createTopics(kafka, [topics.ocpp, topics.ocpi], PARTITIONS);
    // The subset file is the caller's: one per run here, removed after it (the benchmark reuses one for its two runs).
    const subset = prepareLatencySubset({ data, runId: `${runId}-r${n}` }, LATENCY);
    try {
      return await runLatency(ctx, topics, subset, LATENCY, { ...setting, label: `r${n}` });
    } finally {
      rmSync(subset, { force: true });
    }
  };
  try {
    await once({});
    for (let r = 1; r <= rounds; r++) {
      for (const setting of settings) {
        const name = `${setting.delivery} T=${setting.maxTransactionMs ?? 'default'}`;
        const run = await once(setting);
        runs.push({ name, run });
        log(`round ${r} ${name}: p50 ${run.latency_p50_ms} ms, p99 ${run.latency_p99_ms} ms, visible p99 ${run.visible_p99_ms} ms, duplicates ${run.duplicates}, missing ${run.missing}, achieved ${Math.round(run.achieved_events_per_s)}/s`);
      }
    }
  } finally {
    await deleteTopics(kafka, ctx.created.topics).catch(() => undefined);
    for (const subject of ctx.created.subjects) {
      await fetch(`${ctx.registryUrl}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' }).catch(() => undefined);
    }
    await kafka.close();
  }
  const summary = [...new Set(runs.map((r) => r.name))].map((name) => {
    const mine = runs.filter((r) => r.name === name).map((r) => r.run);
    return { setting: name, runs: mine.length, p50_ms: median(mine.map((r) => r.latency_p50_ms)), p99_ms: median(mine.map((r) => r.latency_p99_ms)), p99_each: mine.map((r) => r.latency_p99_ms), visible_p99_ms: median(mine.map((r) => r.visible_p99_ms)), duplicates: mine.reduce((a, r) => a + r.duplicates, 0), missing: mine.reduce((a, r) => a + r.missing, 0) };
  });
  process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
