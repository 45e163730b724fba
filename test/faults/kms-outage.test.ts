import { setTimeout as sleep } from 'node:timers/promises';
import { endpoints } from '../harness/endpoints';
import { faultPipeline, phaseLog, reportFault, tallyOutputs } from '../harness/exactly-once';
import { produce } from '../harness/kafka';
import { indexedStart } from '../harness/pipeline';
import { exitOf, freePort, readyz, spawnService, waitForReady } from '../harness/processes';
import { TcpProxy } from '../harness/proxy';
import { useResources } from '../harness/resources';

/** One service, 3,000 events, a KMS outage of a few seconds (the key ring's retries with backoff). */
useResources({ budgetMs: 120_000 });

/** Inputs of the tenant whose key set the service loads before the cut… */
const FIRST = 1_500;
/** …and of a tenant it has not met yet when KMS goes away: its key set can only come from KMS. */
const SECOND = 1_500;
const TOTAL = FIRST + SECOND;
/** KMS is cut once this much of the first tenant's input is committed (40 % of all). */
const POINT = 1_200;
/** How long the outage lasts once the service has reported it: a fixed time for anything to leak out. */
const HOLD_MS = 3_000;

const note = phaseLog('kms-outage');

describe('fault matrix: KMS unavailable, then back', () => {
  it('fails closed while KMS is unreachable (nothing emitted for a tenant whose key set it needs, /readyz 503 kms_unavailable) and resumes by itself, exactly once', async () => {
    const kmsEndpoint = endpoints().kmsEndpoint;
    const proxy = TcpProxy.for(kmsEndpoint);
    await proxy.open();
    const port = freePort();
    const { env, topics, kafka, progress } = faultPipeline('kms-outage', {
      AMPSEAL_KMS_ENDPOINT: proxy.through(kmsEndpoint),
      AMPSEAL_HTTP_PORT: String(port),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '50',
    });
    const inputs = [
      ...Array.from({ length: FIRST }, (_, i) => indexedStart(i, 'acme-cpo')),
      ...Array.from({ length: SECOND }, (_, i) => indexedStart(FIRST + i, 'voltway-cpo')),
    ];

    const child = spawnService('pseudonymizer', env);
    child.once('exit', (code, signal) => note(`pseudonymizer exited (${code ?? signal})`));
    await waitForReady(child, port);
    await produce(kafka, topics.input, inputs.slice(0, FIRST));
    // At least POINT committed when KMS goes (read just before the cut), at most FIRST: between 40 % and 50 %.
    const atCut = await progress.reach(POINT);
    await proxy.cut();
    note(`KMS cut with ${atCut} committed`);
    // Traffic goes on: the second tenant's records need its key set, which only KMS can unwrap.
    await produce(kafka, topics.input, inputs.slice(FIRST));
    let answer = await readyz(port);
    while (answer?.reasons.includes('kms_unavailable') !== true) {
      await sleep(100);
      answer = await readyz(port);
    }
    note(`readiness: ${JSON.stringify(answer)}`);
    await sleep(HOLD_MS);
    const whileDown = { committed: await progress.committed(), readiness: await readyz(port) };
    // Nothing of the second tenant is visible to a read_committed reader (the first tenant's records are).
    const visible = await tallyOutputs(kafka, topics, progress);
    const secondVisible = visible.analytics.filter((e) => e.meterWh >= FIRST).length;
    note(`while down: ${whileDown.committed} committed, ${visible.outputs} outputs, ${secondVisible} of the second tenant`);

    await proxy.restore();
    const backAt = Date.now();
    // Resumed: more than the whole first tenant committed, so at least one record that needed KMS.
    await progress.reach(FIRST + 1, 20);
    const resumeMs = Date.now() - backAt;
    note(`resumed after ${resumeMs} ms`);
    await progress.reach(TOTAL);
    const ready = await readyz(port);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });

    const tally = await tallyOutputs(kafka, topics, progress);
    reportFault({ case: 'KMS unreachable, then back', events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs, committedAtCut: atCut, committedWhileDown: whileDown.committed });
    expect(answer).toEqual({ code: 503, status: 'not_ready', reasons: ['kms_unavailable'] });
    expect(whileDown.readiness).toEqual({ code: 503, status: 'not_ready', reasons: ['kms_unavailable'] });
    expect(whileDown.committed).toBeLessThanOrEqual(FIRST);
    expect(secondVisible).toBe(0);
    expect(ready).toEqual({ code: 200, status: 'ready', reasons: [] });
    expect(tally.events).toBe(TOTAL);
    expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
    // Every record reached analytics: an unreachable KMS is never mistaken for a refused key (quarantine).
    expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
  });
});
