import { readToEnd } from '@ampseal/kafka';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { crashRepeatedly } from '../harness/crash';
import { reportFault, tallyOutputs } from '../harness/exactly-once';
import { GroupProgress, produce } from '../harness/kafka';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { freePort, readyz } from '../harness/processes';
import { useResources } from '../harness/resources';

/** One in-process run (a group join, ~1,000 records) and five kills (each waits out the killed member's 6 s session). */
const resources = useResources({ budgetMs: 180_000 });

describe('at least once (AMPSEAL_DELIVERY=at-least-once)', () => {
  it('delivers every input with its eventId, keeps each input partition in order per output partition, and commits the offsets after delivery', async () => {
    const TOTAL = 1_000;
    const env = pipelineEnv({ AMPSEAL_DELIVERY: 'at-least-once', AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '50' });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const service = resources.add('pseudonymizer', createPseudonymizer(config, logger), (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('at-least-once');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));

    await produce(kafka, config.topics.ocppRaw, inputs);
    await progress.reach(TOTAL);
    expect((await readyz(service.ops.port))?.code).toBe(200);
    expect(await service.lifecycle.stop()).toBe(true);

    // The group's offsets are at the end of every input partition, and each output names the input it came from.
    expect(await progress.perPartition()).toEqual(await progress.ends());
    const tally = await tallyOutputs(kafka, { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine }, progress);
    expect(tally.lost).toEqual([]);
    expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
    // Nothing failed, so nothing was written twice.
    expect(tally.duplicated).toEqual([]);

    // Order per partition: in each output partition, the outputs of one input partition follow its offsets.
    const registry = registryClient();
    const { records } = await readToEnd(kafka, [config.topics.analytics], { deadlineMs: 30_000 });
    const byOutputPartition = new Map<number, Array<{ offset: bigint; eventId: string }>>();
    for (const r of records) {
      const { eventId } = (await registry.decode(r.value!)) as { eventId: string };
      const list = byOutputPartition.get(r.partition) ?? [];
      list.push({ offset: BigInt(r.offset), eventId });
      byOutputPartition.set(r.partition, list);
    }
    for (const list of byOutputPartition.values()) {
      list.sort((a, b) => (a.offset < b.offset ? -1 : 1));
      const lastOffsetOf = new Map<string, number>();
      for (const { eventId } of list) {
        const at = eventId.lastIndexOf(':');
        const inputPartition = eventId.slice(0, at);
        const offset = Number(eventId.slice(at + 1));
        expect(offset).toBeGreaterThan(lastOffsetOf.get(inputPartition) ?? -1);
        lastOffsetOf.set(inputPartition, offset);
      }
    }
  });

  it('loses nothing when the service is killed -9 at five progress points; what it writes twice carries the same eventId and is counted', async () => {
    const TOTAL = 2_000;
    const KILLS = 5;
    const env = pipelineEnv({
      AMPSEAL_DELIVERY: 'at-least-once',
      AMPSEAL_HTTP_PORT: String(freePort()),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '10',
      AMPSEAL_KAFKA_SESSION_TIMEOUT_MS: '6000',
      AMPSEAL_AUDIENCES: 'analytics',
    });
    const config = loadConfig(env);
    const kafka = kafkaClient('at-least-once-crash');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));

    const { atKill, inFlight, finalExit } = await crashRepeatedly({ env, kafka, topic: config.topics.ocppRaw, progress, inputs, kills: KILLS, slack: 100 });
    expect(atKill).toHaveLength(KILLS);
    expect(finalExit).toEqual({ code: 0, signal: null });

    const tally = await tallyOutputs(kafka, { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine }, progress);
    reportFault({ case: 'pseudonymizer SIGKILL x5, at least once', events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs: null, uncommittedAtKills: inFlight });
    expect(tally.events).toBe(TOTAL);
    expect(tally.lost).toEqual([]);
    // Every input is there, and a duplicate is the same record again: its eventId names the same input (the same
    // meterStart), so a consumer that deduplicates by eventId sees each input once.
    expect([...new Set(tally.analytics.map((e) => e.meterWh))].sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
    const meterOf = new Map<string, number>();
    for (const e of tally.analytics) {
      expect(meterOf.get(e.eventId) ?? e.meterWh).toBe(e.meterWh);
      meterOf.set(e.eventId, e.meterWh);
    }
    // A kill can make the next instance write again only what was not committed when it landed.
    expect(tally.duplicated.length).toBeLessThanOrEqual(inFlight.reduce((a, b) => a + b, 0));
  });
});
