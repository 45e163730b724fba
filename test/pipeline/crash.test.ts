import { loadConfig } from '@ampseal/service-kit';
import { kafkaClient } from '../harness/clients';
import { reportFault, tallyOutputs } from '../harness/exactly-once';
import { crashRepeatedly } from '../harness/crash';
import { GroupProgress } from '../harness/kafka';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { freePort } from '../harness/processes';
import { useResources } from '../harness/resources';

/** Wall-time budget of this file: about twenty group rejoins (each waits out the killed member's session). */
const BUDGET_MS = 240_000;
useResources({ budgetMs: BUDGET_MS });

const TOTAL = 4_000;
const KILLS = 20;
/** Records produced beyond the next kill point: work in flight (several transactions) when the kill lands. */
const SLACK = 100;
const RECORDS_PER_TRANSACTION = 10;

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

    const { atKill, inFlight, finalExit } = await crashRepeatedly({ env, kafka, topic: config.topics.ocppRaw, progress, inputs, kills: KILLS, slack: SLACK });
    process.stderr.write(`\n[crash] committed input at the ${atKill.length} kills (of ${TOTAL}): ${atKill.join(', ')}; uncommitted input then: ${inFlight.join(', ')}\n`);
    expect(atKill).toHaveLength(KILLS);
    for (const n of atKill) {
      expect(n).toBeGreaterThanOrEqual(TOTAL * 0.1);
      expect(n).toBeLessThanOrEqual(TOTAL * 0.9);
    }
    expect(finalExit).toEqual({ code: 0, signal: null });

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
