import { setTimeout as sleep } from 'node:timers/promises';
import { endpoints } from '../harness/endpoints';
import { faultPipeline, phaseLog, reportFault, tallyOutputs } from '../harness/exactly-once';
import { createTopics, produce } from '../harness/kafka';
import { indexedStart } from '../harness/pipeline';
import { exitOf, freePort, type Readiness, readyz, spawnService, waitForReady } from '../harness/processes';
import { TcpProxy } from '../harness/proxy';
import { useResources } from '../harness/resources';

/** Two service starts (one that fails), 3,000 events. */
const resources = useResources({ budgetMs: 120_000 });

const TOTAL = 3_000;
/** Produced before the first start: there is work it could emit if it started without its schema. */
const BEFORE_START = 1_000;
/** The registry is cut during the run once this much is committed (50 %); the rest is produced after the cut. */
const POINT = 1_500;

const note = phaseLog('registry-outage');

describe('fault matrix: the schema registry down at start and during the run', () => {
  it('at start: emits nothing, is never ready, exits 1 naming registry_unavailable; started again once the registry is back, it delivers exactly once. During the run: nothing changes (the schema id is cached)', async () => {
    const registryUrl = endpoints().schemaRegistryUrl;
    const proxy = TcpProxy.for(registryUrl);
    await proxy.open();
    await proxy.cut();
    const port = freePort();
    const { env, config, topics, kafka, progress } = faultPipeline('registry-outage', {
      AMPSEAL_SCHEMA_REGISTRY_URL: proxy.through(registryUrl),
      AMPSEAL_HTTP_PORT: String(port),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '50',
    });
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));

    // (a) Down at start, with input waiting: the input topic is made first, so there is work it could emit.
    await createTopics(kafka, resources, [{ topic: topics.input, partitions: config.topicPartitions }]);
    await produce(kafka, topics.input, inputs.slice(0, BEFORE_START));
    const first = spawnService('pseudonymizer', env);
    const answers = new Set<string>();
    const exited = exitOf(first);
    while (first.exitCode === null && first.signalCode === null) {
      const r: Readiness | null = await readyz(port);
      answers.add(r ? `${r.code} ${r.reasons.join(',') || r.status}` : 'no answer');
      await sleep(100);
    }
    const firstExit = await exited;
    const fatal = first.output
      .join('')
      .split('\n')
      .filter((l) => l.includes('"start failed"'))
      .map((l) => (JSON.parse(l) as { err: { code?: string } }).err.code);
    note(`first start: exit ${JSON.stringify(firstExit)}, readiness ${[...answers].join(' | ')}, start failures ${fatal.join(', ')}`);
    const committedAfterFailedStart = await progress.committed();
    const emittedAfterFailedStart = (await tallyOutputs(kafka, topics, progress)).outputs;

    // The orchestrator starts it again once the registry is back.
    await proxy.restore();
    const backAt = Date.now();
    const second = spawnService('pseudonymizer', env);
    second.once('exit', (code, signal) => note(`second pseudonymizer exited (${code ?? signal})`));
    await progress.reach(1, 20);
    const resumeMs = Date.now() - backAt;
    note(`resumed ${resumeMs} ms after the registry came back (the restart included)`);
    await waitForReady(second, port);

    // (b) Down during the run, after the schema was registered and its id cached.
    await produce(kafka, topics.input, inputs.slice(BEFORE_START, POINT + 100));
    const atCut = await progress.reach(POINT);
    await proxy.cut();
    note(`registry cut during the run with ${atCut} committed`);
    await produce(kafka, topics.input, inputs.slice(POINT + 100));
    const during = new Set<string>();
    let committed = atCut;
    while (committed < TOTAL) {
      const r = await readyz(port);
      during.add(r ? `${r.code} ${r.reasons.join(',') || r.status}` : 'no answer');
      await sleep(50);
      committed = await progress.committed();
    }
    note(`all input committed with the registry cut; readiness ${[...during].join(' | ')}`);
    await proxy.restore();
    expect(second.exitCode).toBeNull();
    second.kill('SIGTERM');
    expect(await exitOf(second)).toEqual({ code: 0, signal: null });

    const tally = await tallyOutputs(kafka, topics, progress);
    // The row of (a): the inputs written before the failed start, counted by the index they carry.
    const early = tally.analytics.filter((e) => e.meterWh < BEFORE_START).map((e) => e.meterWh);
    const earlyDistinct = new Set(early).size;
    reportFault({ case: 'registry down at start', events: BEFORE_START, lost: BEFORE_START - earlyDistinct, duplicated: early.length - earlyDistinct, resumeMs, firstStart: firstExit, readinessWhileDown: [...answers] });
    reportFault({ case: 'registry down during the run', events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs: null, committedAtCut: atCut, readinessWhileDown: [...during] });
    expect(firstExit).toEqual({ code: 1, signal: null });
    expect(fatal).toContain('AMPSEAL_ERR_REGISTRY_UNAVAILABLE');
    expect([...answers].filter((a) => a.startsWith('200'))).toEqual([]);
    expect(committedAfterFailedStart).toBe(0);
    expect(emittedAfterFailedStart).toBe(0);
    expect([...during]).toEqual(['200 ready']);
    expect(tally.events).toBe(TOTAL);
    expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
    expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
  });
});
