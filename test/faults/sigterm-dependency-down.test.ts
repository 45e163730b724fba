import { setTimeout as sleep } from 'node:timers/promises';
import { endpoints } from '../harness/endpoints';
import { faultPipeline, phaseLog, reportFault, tallyOutputs } from '../harness/exactly-once';
import { produce } from '../harness/kafka';
import { indexedStart } from '../harness/pipeline';
import { exitOf, freePort, readyz, spawnService, waitForReady } from '../harness/processes';
import { TcpProxy } from '../harness/proxy';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';

/** Two cases, each: two service starts, a stop bounded by the stop deadline, 2,000 events. */
const resources = useResources({ budgetMs: 150_000 });

/** Inputs of the first tenant (committed before the outage, partly)… */
const FIRST = 1_000;
/** …and of the tenant the outage blocks. */
const SECOND = 1_000;
const TOTAL = FIRST + SECOND;
/** The dependency goes once this much is committed (40 %). */
const POINT = 800;
/** The service's stop deadline here (AMPSEAL_STOP_DEADLINE_MS; service-kit's default is 20 s). */
const STOP_DEADLINE_MS = 10_000;
/** Process exit after the deadline-bounded stop: the contract is the deadline; this is the exit itself. */
const EXIT_MARGIN_MS = 2_000;

const note = phaseLog('sigterm-dependency-down');

interface Dependency {
  /** What the case is called in the fault matrix. */
  readonly name: string;
  /** The reason /readyz gives while it is down. */
  readonly reason: string;
  /** The second tenant's inputs need the dependency (a new subject needs Redis; a new tenant's key set needs KMS). */
  readonly secondTenant: string;
  readonly env: Record<string, string>;
  down(): Promise<void>;
  up(): Promise<void>;
}

/**
 * The service is blocked retrying a dependency that is down (fail closed, nothing committed for the chunk in hand)
 * when the orchestrator sends SIGTERM: it must exit within its stop deadline, with 0 (a clean stop: the chunk in
 * hand never began a transaction), and a fresh instance started once the dependency is back delivers exactly once.
 */
async function sigtermWhileDown(dependency: Dependency): Promise<void> {
  const port = freePort();
  const { env, config, topics, kafka, progress } = faultPipeline('sigterm-dependency-down', {
    ...dependency.env,
    AMPSEAL_HTTP_PORT: String(port),
    AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '50',
    AMPSEAL_STOP_DEADLINE_MS: String(STOP_DEADLINE_MS),
  });
  expect(config.stopDeadlineMs).toBe(STOP_DEADLINE_MS);
  const inputs = [...Array.from({ length: FIRST }, (_, i) => indexedStart(i, 'acme-cpo')), ...Array.from({ length: SECOND }, (_, i) => indexedStart(FIRST + i, dependency.secondTenant))];

  const first = spawnService('pseudonymizer', env);
  await waitForReady(first, port);
  await produce(kafka, topics.input, inputs.slice(0, FIRST));
  const atDown = await progress.reach(POINT);
  await dependency.down();
  await produce(kafka, topics.input, inputs.slice(FIRST));
  let answer = await readyz(port);
  while (answer?.reasons.includes(dependency.reason) !== true) {
    await sleep(100);
    answer = await readyz(port);
  }
  const committedBlocked = await progress.committed();
  note(`${dependency.name}: blocked (${JSON.stringify(answer)}) with ${committedBlocked} committed; SIGTERM`);
  const signalledAt = Date.now();
  first.kill('SIGTERM');
  const exit = await exitOf(first);
  const stopMs = Date.now() - signalledAt;
  note(`${dependency.name}: exited ${JSON.stringify(exit)} ${stopMs} ms after SIGTERM`);
  const committedAfterStop = await progress.committed();

  await dependency.up();
  const backAt = Date.now();
  const second = spawnService('pseudonymizer', env);
  await progress.reach(committedAfterStop + 1, 20);
  const resumeMs = Date.now() - backAt;
  await progress.reach(TOTAL);
  second.kill('SIGTERM');
  expect(await exitOf(second)).toEqual({ code: 0, signal: null });

  const tally = await tallyOutputs(kafka, topics, progress);
  reportFault({ case: `SIGTERM while ${dependency.name} is down`, events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs, stopMs, exit, committedAtDown: atDown });
  expect(exit).toEqual({ code: 0, signal: null });
  expect(stopMs).toBeLessThanOrEqual(STOP_DEADLINE_MS + EXIT_MARGIN_MS);
  // Fail closed to the end: the stop committed nothing of the chunk it was retrying.
  expect(committedAfterStop).toBe(committedBlocked);
  expect(tally.events).toBe(TOTAL);
  expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
  expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
}

describe('fault matrix: SIGTERM while a dependency is down', () => {
  it('Redis down: the blocked service exits 0 within its stop deadline, and a restart delivers exactly once', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    await sigtermWhileDown({
      name: 'Redis',
      reason: 'keyring_unavailable',
      // Every input carries a new card: a subject key to create in Redis, whatever the tenant.
      secondTenant: 'acme-cpo',
      env: { AMPSEAL_REDIS_URL: redis.url },
      down: () => redis.stop(),
      up: () => redis.start(),
    });
  });

  it('KMS unreachable: the blocked service exits 0 within its stop deadline, and a restart delivers exactly once', async () => {
    const kmsEndpoint = endpoints().kmsEndpoint;
    const proxy = TcpProxy.for(kmsEndpoint);
    await proxy.open();
    await sigtermWhileDown({
      name: 'KMS',
      reason: 'kms_unavailable',
      // A tenant whose key set the running service has not loaded: only KMS can unwrap it.
      secondTenant: 'voltway-cpo',
      env: { AMPSEAL_KMS_ENDPOINT: proxy.through(kmsEndpoint) },
      down: () => proxy.cut(),
      up: () => proxy.restore(),
    });
  });
});
