import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { STREAM_CHANNEL, type StreamEvent } from '@ampseal/kafka';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { tallyOutputs } from '../harness/exactly-once';
import { GroupProgress, produce } from '../harness/kafka';
import { endpoints } from '../harness/endpoints';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { TcpProxy } from '../harness/proxy';
import { useResources } from '../harness/resources';

/** One in-process service: a group join and 320 records in transactions of a few records each (a 20 ms key ring each). */
const resources = useResources({ budgetMs: 120_000 });

describe('a transaction closes on its time budget as well as its size', () => {
  it('with a record limit no batch reaches and a 10 ms budget, transactions close by time, and each input still has exactly one output', async () => {
    const WARM = 20;
    const BULK = 300;
    // Redis answers 20 ms late: every chunk (new subjects each) makes a key-ring round trip, so handling any chunk
    // takes longer than the 10 ms budget however fast the machine is, and a fetched batch of more records than one
    // chunk can hold in the budget is cut by time.
    const redisUrl = endpoints().redisUrl;
    const slowRedis = TcpProxy.for(redisUrl, { delayMs: 20 });
    await slowRedis.open();
    const env = pipelineEnv({
      AMPSEAL_AUDIENCES: 'analytics',
      AMPSEAL_TOPIC_PARTITIONS: '1',
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '100000',
      AMPSEAL_MAX_TRANSACTION_MS: '10',
      AMPSEAL_REDIS_URL: slowRedis.through(redisUrl),
    });
    const config = loadConfig(env);
    const events: Array<Extract<StreamEvent, { type: 'transaction' }>> = [];
    const onEvent = (message: unknown) => {
      const e = message as StreamEvent;
      if (e.type === 'transaction' && e.topic === config.topics.ocppRaw) events.push(e);
    };
    subscribe(STREAM_CHANNEL, onEvent);
    resources.add('stream channel subscription', onEvent, async (f) => unsubscribe(STREAM_CHANNEL, f));
    const { logger } = captureLogger('warn');
    const service = resources.add('pseudonymizer', createPseudonymizer(config, logger), (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('transaction-budget');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const inputs = Array.from({ length: WARM + BULK }, (_, i) => indexedStart(i));

    // A few records first: the first chunk has no measured handling time, so only size can close it.
    await produce(kafka, config.topics.ocppRaw, inputs.slice(0, WARM));
    await progress.reach(WARM);
    // Then a bulk, in one produce request, fetched in one or a few batches.
    await produce(kafka, config.topics.ocppRaw, inputs.slice(WARM));
    await progress.reach(WARM + BULK);
    const metrics = await (await fetch(`http://127.0.0.1:${service.ops.port}/metrics`)).text();
    const closedByTimeMetric = Number(/^ampseal_transactions_total\{[^}]*closed_by="time"[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
    expect(await service.lifecycle.stop()).toBe(true);

    const byTime = events.filter((e) => e.closedBy === 'time');
    process.stderr.write(`\n[transaction-budget] ${events.length} transactions, ${byTime.length} closed by time, records per transaction: ${events.map((e) => e.records).join(' ')}\n`);
    expect(byTime.length).toBeGreaterThan(0);
    // No transaction reached the record limit, and every record was in exactly one committed transaction.
    expect(events.some((e) => e.closedBy === 'size')).toBe(false);
    expect(events.reduce((sum, e) => sum + e.records, 0)).toBe(WARM + BULK);
    expect(closedByTimeMetric).toBe(byTime.length);

    const tally = await tallyOutputs(kafka, { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine }, progress);
    expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
    expect(tally.events).toBe(WARM + BULK);
  });
});
