import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createKafka, type KafkaClientName } from '@ampseal/kafka';
import { createLogger, loadConfig, openKeyRing } from '@ampseal/service-kit';
import { POD_NODE_OPTIONS, USAGE, UsageError, parseArgs, rawPartitionsFor, resultsFile, type BenchArgs } from './args';
import { type BenchContext, createBenchContext } from './context';
import { type Dataset, type RawTopics, buildDataset, writeSubset } from './dataset';
import type { Fingerprint } from './fingerprint';
import { brokerPidOf } from './cpu';
import { summarizeClients } from './clients';
import { type JavaPeerAvailability, type JavaPeerRun, buildJavaPeer, inputFingerprint, runJavaPeer } from './java-peer';
import { createTopics, deleteTopics, loadDataset } from './kafka-io';
import { type LatencyRun, prepareLatencySubset, runLatency } from './latency';
import { type Headline, type Spreads, comparisonTable, compare, judge, machineLine, peerTable, resultsTable, verdictLines } from './report';
import { describeMachine, stackFromEnvOrUp } from './stack';
import { median, round, spread, type Spread } from './stats';
import { type InstancesRun, describeInstancesRun, runPipelineInstances, scaling } from './instances';
import { runMemoryMode } from './memory';
import { type PassthroughRun, type PipelineRun, runPassthrough, runPipeline } from './throughput';
import { BENCH_LINKABILITY, TRANSFORM_BATCH, TRANSFORM_EVENTS_PER_REPETITION, TRANSFORM_WINDOW, measureTransformInChild, policyWithEpochs, type EpochsRound, type TransformRun } from './transform-phase';

/**
 * `npm run bench [-- --quick] [--compare FILE]` (design §10). One run, one dataset, in this order:
 *   1. the stack (reused when up), the data (seeded traffic, generated once, checked by an in-process oracle);
 *   2. the transform alone, in this process;
 *   3. the data into fresh raw topics; subject keys created in Redis up front;
 *   4. a warm-up of the passthrough, the pipeline and the Java peer (a prefix of the data, on topics of its own),
 *      then R repetitions of each, interleaved (passthrough r, pipeline r, Java peer r), each with a fresh
 *      process, group and outputs;
 *   5. latency at a fixed offered load against one warm pipeline;
 *   6. the results file (bench/results.json; --quick: bench/results-quick.json), the tables, the targets, and --compare.
 * Medians of the repetitions are reported; every repetition is kept under `runs`.
 */

interface Mode {
  readonly stations: number;
  readonly cards: number;
  readonly events: number | undefined;
  readonly minSubjects: number;
  readonly minEvents: number;
  readonly maxEvents: number;
  readonly warmupEvents: number;
  readonly latency: { readonly rate: number; readonly warmupS: number; readonly measureS: number };
}

const FULL: Mode = {
  stations: 5_000,
  cards: 120_000,
  // Until the key ring has seen 100k distinct subjects (the RSS target's condition): ~2M events of this traffic.
  events: undefined,
  minSubjects: 100_000,
  minEvents: 200_000,
  maxEvents: 4_000_000,
  warmupEvents: 50_000,
  latency: { rate: 5_000, warmupS: 5, measureS: 30 },
};

const QUICK: Mode = {
  stations: 2_000,
  cards: 20_000,
  events: 100_000,
  minSubjects: 0,
  minEvents: 0,
  maxEvents: 100_000,
  warmupEvents: 20_000,
  latency: { rate: 5_000, warmupS: 3, measureS: 10 },
};

const MALFORMED_RATE = 0.005;

/** The broker CPU per 1,000 events of each run where the broker is a local process (cpu.ts). */
function brokerCpu(runs: ReadonlyArray<{ readonly broker_cpu_ms_per_1k_events: number | null }>): number[] {
  return runs.flatMap((r) => (r.broker_cpu_ms_per_1k_events === null ? [] : [r.broker_cpu_ms_per_1k_events]));
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function precreateKeys(stackEnv: Record<string, string>, data: Dataset): Promise<number> {
  // The pipeline's key ring is the real one (Redis + local-kms); its keys live under the fixed `ampseal:` prefix.
  // Creating them here makes every repetition see the same state (keys exist, the process cache is cold), the
  // state of a restarted instance, whatever earlier runs left in Redis.
  const logger = createLogger({ level: 'warn', name: 'bench' });
  const started = performance.now();
  const keyring = await openKeyRing('redis', loadConfig(stackEnv), logger);
  try {
    for (let from = 0; from < data.subjects.length; from += 500) await keyring.tokens(data.subjects.slice(from, from + 500));
  } finally {
    await keyring.stop();
  }
  return (performance.now() - started) / 1000;
}

/** One line per pipeline repetition: speed, key-ring traffic, CPU, memory (peak, and where it was at the end), exactly once. */
function logPipelineRun(name: string, run: PipelineRun): void {
  const v = run.verification!;
  const m = run.memory_at_end;
  log(
    `  ${name}: ${fmt(run.events_per_s)} events/s (${run.seconds.toFixed(2)} s), KMS ${run.kms_calls}, Redis ${fmt(run.redis_roundtrips)} round trips, ` +
      `CPU ${run.cpu_ms_per_1k_events.toFixed(1)} ms/1k, peak RSS ${run.peak_rss_mb.toFixed(0)} MB ` +
      `(at the end ${m.rss_mb.toFixed(0)}: heap ${m.heap_total_mb.toFixed(0)} reserved/${m.heap_used_mb.toFixed(0)} used, external ${m.external_mb.toFixed(0)}, other ${m.other_mb.toFixed(0)}), ` +
      `exactly once ${v.exactlyOnce ? 'yes' : `NO ${JSON.stringify(v)}`}`,
  );
}

/**
 * The transform alone over the dataset's first TRANSFORM_WINDOW events, in a child process (transform-phase.ts says
 * why), then the same window with and without token epochs (issue 16's per-event cost) in interleaved rounds.
 */
async function measureTransform(
  data: Dataset,
  raw: RawTopics,
  repetitions: number,
  profileDir: string | undefined,
  runId: string,
): Promise<{ runs: TransformRun[]; epochs: EpochsRound[] }> {
  const window = Math.min(data.size, TRANSFORM_WINDOW);
  const passes = Math.max(1, Math.ceil(Math.min(data.size, TRANSFORM_EVENTS_PER_REPETITION) / window));
  const subsetFile = path.join(tmpdir(), `${runId}-transform-window.bin`);
  const epochsPolicyFile = policyWithEpochs();
  writeSubset(data, window, subsetFile);
  log(`transform alone: a child over the first ${fmt(window)} events, ${passes} pass(es) per repetition, after one warm-up pass`);
  try {
    const { runs, epochs, profile } = await measureTransformInChild(
      { subsetFile, topics: [raw.ocpp, raw.ocpi], repetitions, passes, epochsPolicyFile, ...(profileDir ? { profileDir } : {}) },
      (r, run) => log(`  transform #${r}: ${fmt(run.events_per_s)} events/s (${run.seconds.toFixed(2)} s, cpu/wall ${run.cpu_per_wall.toFixed(2)})`),
      (r, e) => log(`  token epochs ${BENCH_LINKABILITY} round ${r}: ${fmt(e.epochs_events_per_s)} against ${fmt(e.plain_events_per_s)} events/s without, ratio ${e.ratio.toFixed(3)}`),
    );
    if (profile) log(`  profile: ${profile}`);
    return { runs, epochs };
  } finally {
    rmSync(subsetFile, { force: true });
    rmSync(path.dirname(epochsPolicyFile), { recursive: true, force: true });
  }
}

/** Extra transform time per event that token epochs cost in one round, in nanoseconds. */
function epochsExtraNs(e: EpochsRound): number {
  return 1e9 / e.epochs_events_per_s - 1e9 / e.plain_events_per_s;
}

async function main(args: BenchArgs): Promise<number> {
  if (args.memory) return runMemoryMode(args.subjects, args.nodeOptions);
  const wallStart = performance.now();
  // 3 per topic, or 3 per instance with --instances (balanced under the round-robin assignor).
  const PARTITIONS = rawPartitionsFor(args.instances);
  const root = path.resolve(__dirname, '..', '..', '..');
  const mode = args.quick ? QUICK : FULL;
  const events = args.events ?? mode.events;
  log(`${args.quick ? 'quick' : 'full'} run, seed ${args.seed}, ${args.repetitions} repetitions per phase, Kafka client${args.clients.length > 1 ? 's' : ''} ${args.clients.join(' and ')}`);

  // The endpoints from the environment when exported (`eval "$(bash infra/stack.sh env)"`): a running shared stack
  // is used as it is, never started or stopped; else `infra/stack.sh up`.
  // --client: the passthrough and the pipeline children run their stream on this adapter of the Kafka port (the
  // headline client here; the others through contextOn below).
  const [headlineClient, ...otherClients] = args.clients as [KafkaClientName, ...KafkaClientName[]];
  const stackEnv = { ...stackFromEnvOrUp(root), AMPSEAL_KAFKA_CLIENT: headlineClient };
  const machine = describeMachine(root);
  log(`machine: ${machineLine(machine)}`);
  const config = loadConfig(stackEnv);
  const runId = `bench-${randomBytes(4).toString('hex')}`;
  const raw: RawTopics = { ocpp: `${runId}.ocpp.raw.v1`, ocpi: `${runId}.ocpi.raw.v1` };
  const warmRaw: RawTopics = { ocpp: `${runId}.warm.ocpp.raw.v1`, ocpi: `${runId}.warm.ocpi.raw.v1` };
  const latencyRaw: RawTopics = { ocpp: `${runId}.latency.ocpp.raw.v1`, ocpi: `${runId}.latency.ocpi.raw.v1` };
  // The at-least-once run's own raw topics: its load generator writes the same records again.
  const latencyAloRaw: RawTopics = { ocpp: `${runId}.latency-alo.ocpp.raw.v1`, ocpi: `${runId}.latency-alo.ocpi.raw.v1` };

  log(`generating traffic (${mode.stations} stations, ${fmt(mode.cards)} cards, ${MALFORMED_RATE * 100}% malformed)…`);
  const data = await buildDataset({
    seed: args.seed,
    stations: mode.stations,
    cards: mode.cards,
    malformedRate: MALFORMED_RATE,
    partitions: PARTITIONS,
    events,
    minSubjects: events === undefined ? mode.minSubjects : 0,
    minEvents: mode.minEvents,
    maxEvents: events ?? mode.maxEvents,
    topics: raw,
    progress: (n, subjects) => log(`  ${fmt(n)} events, ${fmt(subjects)} distinct subjects`),
  });
  log(
    `dataset: ${fmt(data.size)} events (${(data.bytes / 2 ** 20).toFixed(0)} MiB), ${fmt(data.distinctSubjects)} distinct subjects, ` +
      `${fmt(data.counts.analytics)} analytics / ${fmt(data.counts.roaming)} roaming / ${fmt(data.counts.quarantined)} quarantined (${fmt(data.counts.malformed)} malformed), ${(data.generationMs / 1000).toFixed(1)} s`,
  );

  const profileDir = args.profile ? path.join(root, 'bench', 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  // ---- the Java peer's jar, built before anything is measured (Maven's JVM would compete for the cores)
  const javaPeer: JavaPeerAvailability = buildJavaPeer(root);
  if (javaPeer.ok) log(`Java peer built against kafka-clients ${javaPeer.build.kafkaVersion} (${javaPeer.build.buildSeconds.toFixed(1)} s)`);
  else log(`Java peer SKIPPED: ${javaPeer.reason}`);

  // ---- transform alone (before any Kafka work, on a quiet machine)
  const { runs: transformRuns, epochs: epochsRounds } = await measureTransform(data, raw, args.repetitions, profileDir, runId);

  const logger = createLogger({ level: 'error', name: 'bench' });
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: runId, logger, security: config.kafkaSecurity });
  const ctx: BenchContext = createBenchContext({
    root,
    stackEnv,
    config,
    kafka,
    runId,
    data,
    raw,
    partitions: PARTITIONS,
    nodeOptions: args.nodeOptions,
    brokerPid: brokerPidOf(root),
    profileDir,
    log,
  });

  // The same phases on another client: the same run, data, topics and clean-up list, only the children's client differs.
  const contextOn = (client: KafkaClientName): BenchContext => ({ ...ctx, stackEnv: { ...ctx.stackEnv, AMPSEAL_KAFKA_CLIENT: client } });
  const others = otherClients.map((client) => ({ client, ctx: contextOn(client), passthrough: [] as PassthroughRun[], pipeline: [] as PipelineRun[], instances: [] as InstancesRun[] }));
  const passthroughRuns: PassthroughRun[] = [];
  const pipelineRuns: PipelineRun[] = [];
  // --threads N: the pipeline with AMPSEAL_HANDLER_THREADS=N, run after the default one in each repetition.
  const threadRuns: PipelineRun[] = [];
  const threadEnv = args.threads === undefined ? undefined : { AMPSEAL_HANDLER_THREADS: String(args.threads) };
  const javaPeerRuns: JavaPeerRun[] = [];
  // Per repetition, with the passthrough and the pipeline run just before it (a peer that failed part-way pairs only what it ran).
  const peerRatios: number[] = [];
  const passthroughPeerRatios: number[] = [];
  let javaPeerFailure: string | undefined;
  const instancesRuns: InstancesRun[] = [];
  const warmups: Record<string, unknown> = {};
  let latency: LatencyRun | undefined;
  let latencyAlo: LatencyRun | undefined;
  let latencySubset = '';
  try {
    // ---- data into Kafka, keys into Redis (outside every measured window)
    ctx.created.topics.push(raw.ocpp, raw.ocpi, warmRaw.ocpp, warmRaw.ocpi, latencyRaw.ocpp, latencyRaw.ocpi, latencyAloRaw.ocpp, latencyAloRaw.ocpi);
    await createTopics(kafka, ctx.created.topics, PARTITIONS);
    const warmCount = Math.min(mode.warmupEvents, data.size);
    const loaded = await loadDataset(kafka, data, raw, data.size);
    await loadDataset(kafka, data, warmRaw, warmCount);
    log(`loaded ${fmt(data.size)} records into ${raw.ocpp} / ${raw.ocpi} in ${loaded.seconds.toFixed(1)} s (${fmt(data.size / loaded.seconds)}/s)`);
    const keySeconds = await precreateKeys(stackEnv, data);
    log(`subject keys present in Redis for ${fmt(data.subjects.length)} subjects (${keySeconds.toFixed(1)} s)`);
    latencySubset = prepareLatencySubset(ctx, mode.latency);
    let javaPeerInput: Fingerprint | undefined;
    if (javaPeer.ok) {
      const started = performance.now();
      javaPeerInput = inputFingerprint(data, data.size);
      log(`input fingerprint for the Java peer's check (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
    // The peer runs until it fails once; its figures are then null, with the reason, and the run goes on.
    const runPeer = async (work: Parameters<typeof runJavaPeer>[2]): Promise<JavaPeerRun | undefined> => {
      if (!javaPeer.ok || javaPeerFailure !== undefined) return undefined;
      try {
        return await runJavaPeer(ctx, javaPeer.build, work, javaPeerInput);
      } catch (err) {
        javaPeerFailure = `${work.label}: ${(err as Error).message}`;
        log(`  Java peer FAILED in ${javaPeerFailure}`);
        return undefined;
      }
    };
    // From here on only the metadata is needed: this process drives and watches, it should not pause for GC.
    data.releaseRecords();

    // ---- warm-up (broker, page cache, Redis), not reported in the medians
    const warmPass = await runPassthrough(ctx, { label: 'warm-pt', raw: warmRaw, count: warmCount, verify: false });
    const warmPipe = await runPipeline(ctx, { label: 'warm-pz', raw: warmRaw, count: warmCount, verify: false });
    const warmPeer = await runPeer({ label: 'warm-jp', raw: warmRaw, count: warmCount, verify: false });
    warmups.passthrough = warmPass;
    warmups.pipeline = warmPipe;
    if (warmPeer) warmups.java_peer = warmPeer;
    log(
      `warm-up: passthrough ${fmt(warmPass.events_per_s)}/s, pipeline ${fmt(warmPipe.events_per_s)}/s` +
        `${warmPeer ? `, Java peer ${fmt(warmPeer.events_per_s)}/s` : ''} on ${fmt(warmCount)} events`,
    );

    // ---- measured repetitions, interleaved so drift on the shared box hits both alike
    for (let r = 1; r <= args.repetitions; r++) {
      const pt = await runPassthrough(ctx, { label: `pt${r}`, raw, count: data.size, verify: true });
      passthroughRuns.push(pt);
      log(
        `  passthrough #${r}: ${fmt(pt.events_per_s)} events/s (${pt.seconds.toFixed(2)} s; first consume→last commit ${fmt(pt.first_consume_to_last_commit_events_per_s)}/s; ` +
          `CPU ${pt.cpu_ms_per_1k_events.toFixed(1)} ms/1k; outputs ${pt.outputs_verified ? 'verified' : 'WRONG'})`,
      );
      const pz = await runPipeline(ctx, { label: `pz${r}`, raw, count: data.size, verify: true });
      pipelineRuns.push(pz);
      logPipelineRun(`pipeline    #${r}`, pz);
      if (threadEnv) {
        const pzt = await runPipeline(ctx, { label: `pz${r}t${args.threads}`, raw, count: data.size, verify: true }, { env: threadEnv });
        threadRuns.push(pzt);
        logPipelineRun(`pipeline t=${args.threads} #${r}`, pzt);
      }
      const jp = await runPeer({ label: `jp${r}`, raw, count: data.size, verify: true });
      if (jp) {
        javaPeerRuns.push(jp);
        peerRatios.push(pz.events_per_s / jp.events_per_s);
        passthroughPeerRatios.push(pt.events_per_s / jp.events_per_s);
        log(
          `  Java peer   #${r}: ${fmt(jp.events_per_s)} events/s (${jp.seconds.toFixed(2)} s; first record→last commit ${fmt(jp.first_record_to_last_commit_events_per_s)}/s; ` +
            `CPU ${jp.cpu_ms_per_1k_events.toFixed(1)} ms/1k, peak RSS ${jp.peak_rss_mb.toFixed(0)} MB; outputs ${jp.outputs_verified ? 'verified' : `WRONG (${jp.output_records} records)`})`,
        );
      }
      if (args.instances > 1) {
        instancesRuns.push(await runPipelineInstances(ctx, { label: `pz${r}x${args.instances}`, raw, count: data.size, verify: true }, args.instances));
        log(describeInstancesRun(instancesRuns.at(-1)!, fmt));
      }
      for (const other of others) {
        const c = other.client;
        const opt = await runPassthrough(other.ctx, { label: `pt${r}${c}`, raw, count: data.size, verify: true });
        other.passthrough.push(opt);
        log(`  passthrough #${r} on ${c}: ${fmt(opt.events_per_s)} events/s (${opt.seconds.toFixed(2)} s; CPU ${opt.cpu_ms_per_1k_events.toFixed(1)} ms/1k; outputs ${opt.outputs_verified ? 'verified' : 'WRONG'})`);
        const opz = await runPipeline(other.ctx, { label: `pz${r}${c}`, raw, count: data.size, verify: true });
        other.pipeline.push(opz);
        logPipelineRun(`pipeline #${r} on ${c}`, opz);
        if (args.instances > 1) {
          other.instances.push(await runPipelineInstances(other.ctx, { label: `pz${r}x${args.instances}${c}`, raw, count: data.size, verify: true }, args.instances));
          log(`${describeInstancesRun(other.instances.at(-1)!, fmt)} on ${c}`);
        }
      }
    }

    // ---- latency at a fixed offered load, one warm pipeline
    log(`latency: ${fmt(mode.latency.rate)} events/s, ${mode.latency.warmupS} s warm-up + ${mode.latency.measureS} s measured`);
    latency = await runLatency(ctx, latencyRaw, latencySubset, mode.latency);
    log(`  exactly-once:  p50 ${latency.latency_p50_ms} ms, p99 ${latency.latency_p99_ms} ms (visible to a read_committed consumer: p50 ${latency.visible_p50_ms}, p99 ${latency.visible_p99_ms}); achieved ${fmt(latency.achieved_events_per_s)}/s`);
    // The same load through a pipeline in AMPSEAL_DELIVERY=at-least-once (no transactions; duplicates possible, counted).
    latencyAlo = await runLatency(ctx, latencyAloRaw, latencySubset, mode.latency, { delivery: 'at-least-once', label: 'latency-alo' });
    log(
      `  at-least-once: p50 ${latencyAlo.latency_p50_ms} ms, p99 ${latencyAlo.latency_p99_ms} ms (visible: p50 ${latencyAlo.visible_p50_ms}, p99 ${latencyAlo.visible_p99_ms}); ` +
        `achieved ${fmt(latencyAlo.achieved_events_per_s)}/s; duplicates ${latencyAlo.duplicates}, missing ${latencyAlo.missing}`,
    );

    if (profileDir) {
      log(`profile: one more pipeline run under --cpu-prof (not measured)${threadEnv ? `, with AMPSEAL_HANDLER_THREADS=${args.threads} (one profile per thread)` : ''}`);
      await runPipeline(ctx, { label: 'profile', raw, count: data.size, verify: false }, { profile: true, ...(threadEnv ? { env: threadEnv } : {}) });
      log(`  profile: ${threadEnv ? `${profileDir}/CPU.*.cpuprofile (one per thread)` : path.join(profileDir, 'pipeline-profile.cpuprofile')}`);
    }
  } finally {
    if (latencySubset) rmSync(latencySubset, { force: true });
    await cleanup(ctx).catch((err: unknown) => log(`cleanup failed: ${(err as Error).message}`));
  }

  // ---- results
  const transform = median(transformRuns.map((r) => r.events_per_s));
  const pipeline = median(pipelineRuns.map((r) => r.events_per_s));
  const passthrough = median(passthroughRuns.map((r) => r.events_per_s));
  const pairRatios = pipelineRuns.map((p, i) => p.events_per_s / passthroughRuns[i]!.events_per_s);
  const threadRatios = threadRuns.map((p, i) => p.events_per_s / passthroughRuns[i]!.events_per_s);
  const threaded =
    threadRuns.length > 0
      ? {
          handler_threads: args.threads,
          events_per_s: spread(threadRuns.map((r) => r.events_per_s), 0),
          pipeline_to_passthrough: spread(threadRatios, 3),
          cpu_ms_per_1k_events: spread(threadRuns.map((r) => r.cpu_ms_per_1k_events), 1),
          peak_rss_mb: spread(threadRuns.map((r) => r.peak_rss_mb), 1),
          kms_calls_per_1k_events: spread(threadRuns.map((r) => r.kms_calls_per_1k_events), 4),
          redis_roundtrips_per_1k_events: spread(threadRuns.map((r) => r.redis_roundtrips_per_1k_events), 3),
          exactly_once: threadRuns.every((r) => r.verification?.exactlyOnce === true),
        }
      : undefined;
  const peerMeasured = javaPeerRuns.length > 0;
  const orNull = (value: number, digits: number): number | null => (peerMeasured ? round(value, digits) : null);
  const javaPeerSkipped = !javaPeer.ok ? javaPeer.reason : javaPeerFailure;
  const javaPeerVerified = peerMeasured ? javaPeerRuns.every((r) => r.outputs_verified === true) : null;
  const scaled = args.instances > 1 ? scaling(args.instances, PARTITIONS, pipelineRuns, instancesRuns) : undefined;
  const clients = summarizeClients([{ client: headlineClient, passthrough: passthroughRuns, pipeline: pipelineRuns, instances: instancesRuns }, ...others], javaPeerRuns);
  // The headline client's figures are its summary's (one computation); `verified` covers its pipeline repetitions.
  const first = clients[headlineClient]!;
  const exactlyOnce =
    Object.values(clients).every((c) => c.verified) &&
    latency?.exactly_once === true &&
    scaled?.exactly_once !== false &&
    threaded?.exactly_once !== false;
  const spreads: Spreads = {
    transform_events_per_s: spread(transformRuns.map((r) => r.events_per_s), 0),
    transform_epochs_to_plain: spread(epochsRounds.map((e) => e.ratio), 3),
    passthrough_events_per_s: first.passthrough_events_per_s,
    pipeline_events_per_s: first.pipeline_events_per_s,
    java_peer_events_per_s: spread(javaPeerRuns.map((r) => r.events_per_s), 0),
    pipeline_to_passthrough: first.pipeline_to_passthrough,
    pipeline_to_java_peer: first.pipeline_to_java_peer,
    passthrough_to_java_peer: first.passthrough_to_java_peer,
    passthrough_first_consume_to_last_commit_events_per_s: spread(passthroughRuns.map((r) => r.first_consume_to_last_commit_events_per_s), 0),
    passthrough_cpu_ms_per_1k_events: first.passthrough_cpu_ms_per_1k_events,
    pipeline_cpu_ms_per_1k_events: first.pipeline_cpu_ms_per_1k_events,
    java_peer_cpu_ms_per_1k_events: spread(javaPeerRuns.map((r) => r.cpu_ms_per_1k_events), 1),
    passthrough_broker_cpu_ms_per_1k_events: spread(brokerCpu(passthroughRuns), 1),
    pipeline_broker_cpu_ms_per_1k_events: spread(brokerCpu(pipelineRuns), 1),
    java_peer_broker_cpu_ms_per_1k_events: spread(brokerCpu(javaPeerRuns), 1),
    kms_calls_per_1k_events: spread(pipelineRuns.map((r) => r.kms_calls_per_1k_events), 4),
    redis_roundtrips_per_1k_events: spread(pipelineRuns.map((r) => r.redis_roundtrips_per_1k_events), 3),
    peak_rss_mb: spread(pipelineRuns.map((r) => r.peak_rss_mb), 1),
    // One latency run per run so far: n = 1, min = median = max.
    latency_p50_ms: spread(latency ? [latency.latency_p50_ms] : []),
    latency_p99_ms: spread(latency ? [latency.latency_p99_ms] : []),
    latency_visible_p50_ms: spread(latency ? [latency.visible_p50_ms] : []),
    latency_visible_p99_ms: spread(latency ? [latency.visible_p99_ms] : []),
    latency_at_least_once_p50_ms: spread(latencyAlo ? [latencyAlo.latency_p50_ms] : []),
    latency_at_least_once_p99_ms: spread(latencyAlo ? [latencyAlo.latency_p99_ms] : []),
  };
  const headline: Headline = {
    transform_events_per_s: round(transform, 0),
    pipeline_events_per_s: round(pipeline, 0),
    passthrough_events_per_s: round(passthrough, 0),
    pipeline_to_passthrough: round(median(pairRatios), 3),
    // Issue 14: every repetition >= 0.8, judged on its own line.
    pipeline_to_passthrough_min: round(Math.min(...pairRatios), 3),
    latency_p50_ms: latency?.latency_p50_ms ?? Number.NaN,
    latency_p99_ms: latency?.latency_p99_ms ?? Number.NaN,
    latency_at_least_once_p50_ms: latencyAlo?.latency_p50_ms ?? Number.NaN,
    latency_at_least_once_p99_ms: latencyAlo?.latency_p99_ms ?? Number.NaN,
    // At-least-once may repeat a record (never lose one): the run counts both, only a missing record is wrong.
    latency_at_least_once_duplicates: latencyAlo?.duplicates ?? Number.NaN,
    latency_at_least_once_missing: latencyAlo?.missing ?? Number.NaN,
    kms_calls_per_1k_events: round(median(pipelineRuns.map((r) => r.kms_calls_per_1k_events)), 4),
    redis_roundtrips_per_1k_events: round(median(pipelineRuns.map((r) => r.redis_roundtrips_per_1k_events)), 3),
    peak_rss_mb: round(Math.max(...pipelineRuns.map((r) => r.peak_rss_mb)), 1),
    events: data.size,
    distinct_subjects: data.distinctSubjects,
    exactly_once: exactlyOnce,
  };
  const verdicts = judge(headline);
  const results = {
    ...headline,
    mode: args.quick ? 'quick' : 'full',
    kafka_client: headlineClient,
    // Each client's passthrough and pipeline in the same repetitions (issue 15); the first is the one above.
    clients,
    seed: args.seed,
    repetitions: args.repetitions,
    pipeline_to_transform: round(pipeline / transform, 3),
    // Token epochs (issue 16): the transform with a linkability window over the same window of events, per event.
    transform_epochs_to_plain: round(median(epochsRounds.map((e) => e.ratio)), 3),
    transform_epochs_extra_ns_per_event: round(median(epochsRounds.map(epochsExtraNs)), 0),
    java_peer_events_per_s: orNull(median(javaPeerRuns.map((r) => r.events_per_s)), 0),
    pipeline_to_java_peer: orNull(median(peerRatios), 3),
    passthrough_to_java_peer: orNull(median(passthroughPeerRatios), 3),
    java_peer_cpu_ms_per_1k_events: orNull(median(javaPeerRuns.map((r) => r.cpu_ms_per_1k_events)), 1),
    passthrough_cpu_ms_per_1k_events: round(median(passthroughRuns.map((r) => r.cpu_ms_per_1k_events)), 1),
    passthrough_first_consume_to_last_commit_events_per_s: round(median(passthroughRuns.map((r) => r.first_consume_to_last_commit_events_per_s)), 0),
    pipeline_cpu_ms_per_1k_events: round(median(pipelineRuns.map((r) => r.cpu_ms_per_1k_events)), 1),
    passthrough_broker_cpu_ms_per_1k_events: spreads.passthrough_broker_cpu_ms_per_1k_events?.median ?? null,
    pipeline_broker_cpu_ms_per_1k_events: spreads.pipeline_broker_cpu_ms_per_1k_events?.median ?? null,
    java_peer_broker_cpu_ms_per_1k_events: spreads.java_peer_broker_cpu_ms_per_1k_events?.median ?? null,
    latency_p90_ms: latency?.latency_p90_ms,
    latency_max_ms: latency?.latency_max_ms,
    latency_visible_p50_ms: latency?.visible_p50_ms,
    latency_visible_p99_ms: latency?.visible_p99_ms,
    latency_offered_events_per_s: latency?.offered_events_per_s,
    latency_achieved_events_per_s: latency ? round(latency.achieved_events_per_s, 0) : undefined,
    latency_redis_roundtrips_per_1k_events: latency ? round(latency.redis_roundtrips_per_1k_events, 2) : undefined,
    latency_load_generator_loop_delay_max_ms: latency ? round(latency.load_generator_loop_delay_max_ms, 0) : undefined,
    malformed_events: data.counts.malformed,
    analytics_records: data.counts.analytics,
    roaming_records: data.counts.roaming,
    java_peer: javaPeer.ok
      ? {
          kafka_clients: javaPeer.build.kafkaVersion,
          java: javaPeerRuns[0]?.java,
          max_heap_mb: javaPeerRuns[0]?.max_heap_mb,
          outputs_verified: javaPeerVerified,
          ...(javaPeerSkipped ? { failed: javaPeerSkipped } : {}),
        }
      : { skipped: javaPeer.reason },
    spread: spreads,
    ...(scaled ? { scaling: scaled } : {}),
    ...(threaded ? { pipeline_with_threads: threaded } : {}),
    targets: verdicts.map((v) => ({ metric: v.target.key, op: v.target.op, target: v.target.value, value: v.value, verdict: v.verdict, ...(v.note ? { note: v.note } : {}) })),
    machine,
    config: {
      raw_partitions: PARTITIONS,
      output_partitions: PARTITIONS,
      max_records_per_transaction: config.maxRecordsPerTransaction,
      child_node_options: args.nodeOptions,
      transform_batch: TRANSFORM_BATCH,
      stations: mode.stations,
      cards: mode.cards,
      malformed_rate: MALFORMED_RATE,
      warmup_events: Math.min(mode.warmupEvents, data.size),
      latency: mode.latency,
      dataset_mib: round(data.bytes / 2 ** 20, 1),
    },
    method: [
      `transform: Transform.run in a child process of its own over the dataset's first ${TRANSFORM_WINDOW} events (the bench process holds the whole dataset, whose major GCs would be counted), batches of 500, in-memory key ring warmed by one unmeasured pass (all subjects cached); passes over the window per repetition until ${TRANSFORM_EVENTS_PER_REPETITION} events; wall time of one thread.`,
      'passthrough and pipeline: a fresh child process, consumer group and output topics per repetition; events/s = input records / (ready → the group\'s committed offsets cover every input). Offsets commit in the transactions that carry the outputs.',
      'java peer: services/bench/java-peer (Kafka\'s own kafka-clients of the broker\'s version, Java 17, JVM defaults): one consumer (read_committed, own group, no auto-commit, max.poll.records = AMPSEAL_MAX_RECORDS_PER_TRANSACTION) and one transactional producer; per poll: send each record, sendOffsetsToTransaction(groupMetadata), commitTransaction; client defaults otherwise (auto.offset.reset=earliest for the fresh group). Outputs read back read_committed: same count and the same multiset of keys and values (order-free fingerprint).',
      'CPU per 1,000 events (passthrough, pipeline, java peer alike): the child process\'s utime+stime from /proc/<pid>/stat, all threads, from ready to the moment its group\'s committed offsets cover every input.',
      'passthrough: TransactionalStream (the pseudonymizer\'s own consume-transform-produce loop and client settings) with a handler that copies each record; AMPSEAL_MAX_RECORDS_PER_TRANSACTION is the same for both.',
      'pipeline: `ampseal run pseudonymizer` against the local stack (Redis + local-kms key ring). Subject keys are created in Redis before measuring (the Redis key prefix is fixed), so each repetition is a restarted instance: keys exist, its in-process cache is cold.',
      args.nodeOptions === POD_NODE_OPTIONS
        ? `pipeline and passthrough processes run with NODE_OPTIONS="${args.nodeOptions}": the V8 heap Node 20 derives by itself from the chart's 512Mi memory limit (cgroup-aware sizing), rather than the 4 GB heap it would take on this machine.`
        : `pipeline and passthrough processes run with NODE_OPTIONS="${args.nodeOptions}" (not the heap of the chart's 512Mi pod).`,
      'KMS and Redis per 1,000 events: the pipeline\'s own counters (/metrics) over the whole process life, start-up included. Peak RSS: VmHWM of the pipeline process, the highest repetition.',
      'exactly_once: every pipeline repetition read back read_committed and checked per eventId against an in-process oracle (same Transform, same records): one analytics record per expected input, no others, roaming count equal, each malformed record quarantined once with its expected reason; and the latency run saw each analytics record once.',
      'latency: paced producer at the offered rate into fresh raw topics while one pipeline runs, producer and read_committed reader in a child process of their own (small heap); latency = analytics CreateTime - raw send time; visible = when the reader received it. Warm-up seconds excluded.',
      'medians of the repetitions; pipeline_to_passthrough is the median of the per-repetition ratios (pairs run back to back). The box has 2 cores shared with the broker, Redis and the registry: compare ratios across machines, absolute numbers only on the same box.',
    ],
    runs: {
      transform: transformRuns.map(roundAll),
      transform_epochs: epochsRounds.map(roundAll),
      passthrough: passthroughRuns.map(roundAll),
      pipeline: pipelineRuns.map(roundAll),
      pipeline_to_passthrough: pairRatios.map((r) => round(r, 3)),
      java_peer: javaPeerRuns.map(roundAll),
      pipeline_to_java_peer: peerRatios.map((r) => round(r, 3)),
      ...(scaled ? { pipeline_instances: instancesRuns.map(roundAll) } : {}),
      ...(others.length > 0
        ? { other_clients: Object.fromEntries(others.map((o) => [o.client, { passthrough: o.passthrough.map(roundAll), pipeline: o.pipeline.map(roundAll), pipeline_instances: o.instances.map(roundAll) }])) }
        : {}),
      ...(threaded ? { pipeline_with_threads: threadRuns.map(roundAll), pipeline_with_threads_to_passthrough: threadRatios.map((r) => round(r, 3)) } : {}),
      latency: latency ? roundAll(latency) : undefined,
      latency_at_least_once: latencyAlo ? roundAll(latencyAlo) : undefined,
      warmup: roundAll(warmups),
    },
    wall_seconds: round((performance.now() - wallStart) / 1000, 1),
  };


  const out = resultsFile(args, root, process.cwd());
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

  const w = (s: string) => process.stdout.write(s);
  w(`\nampseal benchmark (${results.mode}, ${fmt(data.size)} events, ${fmt(data.distinctSubjects)} distinct subjects; Node ${machine.node}, Kafka ${machine.kafka})\n`);
  w(`machine: ${machineLine(machine)}\n`);
  w(`values are medians of ${args.repetitions} repetitions; min and max beside them\n\n`);
  w(resultsTable(headline, verdicts, spreads));
  w('\nprocesses side by side (events/s: input records / (ready → committed offsets cover every input); CPU: the process\'s utime+stime over that span)\n');
  w(
    peerTable([
      { name: 'transform alone (own process)', eventsPerS: spreads.transform_events_per_s, cpuMsPer1k: undefined, note: 'one core, no Kafka' },
      { name: `${headlineClient} passthrough`, eventsPerS: spreads.passthrough_events_per_s, cpuMsPer1k: spreads.passthrough_cpu_ms_per_1k_events, brokerCpuMsPer1k: spreads.passthrough_broker_cpu_ms_per_1k_events },
      { name: `pipeline on ${headlineClient}`, eventsPerS: spreads.pipeline_events_per_s, cpuMsPer1k: spreads.pipeline_cpu_ms_per_1k_events, brokerCpuMsPer1k: spreads.pipeline_broker_cpu_ms_per_1k_events },
      ...others.flatMap((o) => [
        { name: `${o.client} passthrough`, eventsPerS: clients[o.client]!.passthrough_events_per_s, cpuMsPer1k: clients[o.client]!.passthrough_cpu_ms_per_1k_events, brokerCpuMsPer1k: spread(brokerCpu(o.passthrough), 1) },
        { name: `pipeline on ${o.client}`, eventsPerS: clients[o.client]!.pipeline_events_per_s, cpuMsPer1k: clients[o.client]!.pipeline_cpu_ms_per_1k_events, brokerCpuMsPer1k: spread(brokerCpu(o.pipeline), 1) },
      ]),
      {
        name: `Java peer (kafka-clients ${machine.kafka})`,
        eventsPerS: spreads.java_peer_events_per_s,
        cpuMsPer1k: spreads.java_peer_cpu_ms_per_1k_events,
        brokerCpuMsPer1k: spreads.java_peer_broker_cpu_ms_per_1k_events,
        ...(javaPeerSkipped ? { note: `${peerMeasured ? 'partly failed' : javaPeer.ok ? 'failed' : 'skipped'}: ${javaPeerSkipped.split('\n')[0]}` } : {}),
      },
    ]),
  );
  const perRep = (ratios: readonly number[]) => ratios.map((r) => r.toFixed(3)).join(', ');
  w('\nratios\n');
  w(`  pipeline / passthrough   ${headline.pipeline_to_passthrough.toFixed(3)}   (per repetition: ${perRep(pairRatios)})\n`);
  if (peerMeasured) {
    w(`  pipeline / Java peer     ${results.pipeline_to_java_peer!.toFixed(3)}   (per repetition: ${perRep(peerRatios)})\n`);
    w(`  passthrough / Java peer  ${results.passthrough_to_java_peer!.toFixed(3)}   (per repetition: ${perRep(passthroughPeerRatios)})\n`);
  } else {
    w(`  pipeline / Java peer     not measured (${javaPeerSkipped?.split('\n')[0] ?? 'no repetition'})\n`);
  }
  w(`  pipeline / transform     ${results.pipeline_to_transform.toFixed(3)}\n`);
  w(
    `  transform with token epochs / without  ${results.transform_epochs_to_plain.toFixed(3)}   (per round: ${perRep(epochsRounds.map((e) => e.ratio))}; ` +
      `${results.transform_epochs_extra_ns_per_event} ns more per event; ${BENCH_LINKABILITY})\n`,
  );
  if (threaded) {
    w(
      `  pipeline t=${args.threads} / passthrough ${threaded.pipeline_to_passthrough!.median.toFixed(3)}   (per repetition: ${perRep(threadRatios)}; ` +
        `${fmt(threaded.events_per_s!.median)} events/s, CPU ${threaded.cpu_ms_per_1k_events!.median.toFixed(1)} ms/1k vs ${results.pipeline_cpu_ms_per_1k_events.toFixed(1)} in-thread default; exactly once ${threaded.exactly_once ? 'yes' : 'NO'})\n`,
    );
  }
  for (const o of others) {
    const c = clients[o.client]!;
    const m = (x: Spread | undefined) => (x ? `${x.median.toFixed(3)} (${x.min.toFixed(3)}–${x.max.toFixed(3)})` : 'not measured');
    w(`  on ${o.client}: pipeline / ${headlineClient}'s pipeline ${m(c.pipeline_to_first_client)}, passthrough / ${headlineClient}'s ${m(c.passthrough_to_first_client)}, pipeline / passthrough ${m(c.pipeline_to_passthrough)}, pipeline / Java peer ${m(c.pipeline_to_java_peer)}${c.instances_speedup ? `, ${args.instances} instances / 1 ${m(c.instances_speedup)}` : ''}; exactly once ${c.verified ? 'yes' : 'NO'}\n`);
  }
  if (scaled) w(`  ${scaled.instances} instances / 1         ${scaled.speedup.toFixed(3)}   (${fmt(scaled.pipeline_n_events_per_s)} vs ${fmt(scaled.pipeline_1_events_per_s)} events/s, ${scaled.raw_partitions} partitions per raw topic; per repetition: ${scaled.speedup_per_repetition.join(', ')})\n`);
  if (latency) w(`  latency visible (read_committed consumer) p50 ${latency.visible_p50_ms} ms, p99 ${latency.visible_p99_ms} ms at ${fmt(latency.achieved_events_per_s)} events/s achieved\n`);
  if (latencyAlo) {
    w(`  latency at-least-once    p50 ${latencyAlo.latency_p50_ms} ms, p99 ${latencyAlo.latency_p99_ms} ms at ${fmt(latencyAlo.achieved_events_per_s)} events/s achieved (${latencyAlo.duplicates} duplicates, ${latencyAlo.missing} missing)\n`);
  }
  w('\ntargets (goals, not tests)\n');
  w(verdictLines(verdicts));
  if (args.compare) {
    const before = JSON.parse(readFileSync(path.resolve(args.compare), 'utf8')) as Record<string, unknown>;
    w(`\ncompared with ${args.compare} (${(before.machine as { date?: string } | undefined)?.date ?? 'undated'}, ${String(before.mode ?? '?')})\n`);
    w(comparisonTable(compare(before, results as unknown as Record<string, unknown>)));
  }
  w(`\nwrote ${path.relative(process.cwd(), out) || out} (${results.wall_seconds} s)\n`);
  if (javaPeerVerified === false) log('Java peer outputs did NOT match the input (count or fingerprint): see runs.java_peer in the results file');
  if (!exactlyOnce) {
    log('exactly-once check FAILED: see runs.pipeline[].verification in the results file');
    return 1;
  }
  if (latencyAlo !== undefined && (latencyAlo.missing > 0 || latencyAlo.unexpected > 0)) {
    log(`at-least-once check FAILED: ${latencyAlo.missing} missing, ${latencyAlo.unexpected} unexpected records (see runs.latency_at_least_once)`);
    return 1;
  }
  return 0;
}

function roundAll<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? round(v, 3) : v))) as T;
}

async function cleanup(ctx: BenchContext): Promise<void> {
  await deleteTopics(ctx.kafka, ctx.created.topics);
  for (const subject of ctx.created.subjects) {
    const url = `${ctx.registryUrl}/subjects/${encodeURIComponent(subject)}`;
    await fetch(url, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
}

let args: BenchArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  throw err;
}
main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
