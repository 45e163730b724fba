import { loadConfig } from '@ampseal/service-kit';
import { kafkaClient } from '../harness/clients';
import { reportFault, tallyOutputs } from '../harness/exactly-once';
import { GroupProgress, produce } from '../harness/kafka';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { exitOf, freePort, spawnService, waitForHttp } from '../harness/processes';
import { useResources } from '../harness/resources';

/** Wall-time budget of this file: about twenty group rejoins (each waits out the killed member's session). */
const BUDGET_MS = 240_000;
useResources({ budgetMs: BUDGET_MS });

const TOTAL = 4_000;
const KILLS = 20;
/**
 * Kill points, as counts of committed input: evenly from 10 % to 85 %. The input is produced only up to the
 * next point plus SLACK, so the service can never commit past a point unseen, whatever the machine's speed,
 * and every kill lands with between 10 % and 90 % of the input committed.
 */
const POINTS = Array.from({ length: KILLS }, (_, k) => Math.round(TOTAL * (0.1 + (0.75 * k) / (KILLS - 1))));
/** Records produced beyond the next point: work in flight (several transactions) when the kill lands. */
const SLACK = 100;
const RECORDS_PER_TRANSACTION = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('exactly once under crashes', () => {
  it('yields exactly one analytics record per input although the service is killed -9 at twenty progress points', async () => {
    const port = freePort();
    const env = pipelineEnv({
      AMPSEAL_HTTP_PORT: String(port),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: String(RECORDS_PER_TRANSACTION),
      AMPSEAL_KAFKA_SESSION_TIMEOUT_MS: '6000',
      AMPSEAL_AUDIENCES: 'analytics',
    });
    const config = loadConfig(env);
    const kafka = kafkaClient('crash');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));
    let produced = 0;
    const produceUpTo = async (n: number) => {
      if (n <= produced) return;
      await produce(kafka, config.topics.ocppRaw, inputs.slice(produced, n));
      produced = n;
    };

    // The first start creates the topics (spawnService registers every child for clean-up as it spawns).
    let child = spawnService('pseudonymizer', env);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);

    const atKill: number[] = [];
    const inFlight: number[] = []; // produced but not yet committed when the kill landed
    for (const point of POINTS) {
      // A point already passed (it cannot be, given the slicing; kept so a change there cannot make the
      // test depend on speed) is skipped: the next one is awaited instead.
      if (atKill.length > 0 && atKill[atKill.length - 1]! >= point) continue;
      await produceUpTo(Math.min(TOTAL, point + SLACK));
      let committed = await progress.committed();
      while (committed < point) {
        await sleep(20);
        committed = await progress.committed();
      }
      child.kill('SIGKILL');
      expect(await exitOf(child)).toEqual({ code: null, signal: 'SIGKILL' });
      atKill.push(committed);
      inFlight.push(produced - committed);
      child = spawnService('pseudonymizer', env);
    }
    process.stderr.write(`\n[crash] committed input at the ${atKill.length} kills (of ${TOTAL}): ${atKill.join(', ')}; uncommitted input then: ${inFlight.join(', ')}\n`);
    expect(atKill).toHaveLength(KILLS);
    for (const n of atKill) {
      expect(n).toBeGreaterThanOrEqual(TOTAL * 0.1);
      expect(n).toBeLessThanOrEqual(TOTAL * 0.9);
    }

    // The rest of the input; the last instance finishes it and stops cleanly on SIGTERM.
    await produceUpTo(TOTAL);
    while ((await progress.committed()) < TOTAL) await sleep(100);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });

    // Everything is committed and the service is gone: what a read_committed reader sees now is final.
    const tally = await tallyOutputs(kafka, { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine }, progress);
    reportFault({ case: 'pseudonymizer SIGKILL x20', events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs: null });
    // One output per input offset (eventId is topic:partition:offset), none missing, none twice…
    expect(tally.events).toBe(TOTAL);
    expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
    // …and each from the input it names (meterStart was the input's index).
    expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
  });
});
