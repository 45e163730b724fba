import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readToEnd } from '@ampseal/kafka';
import { EVICTION_CHANNEL, createPseudonymizer, type EvictionEvent } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { tallyOutputs } from '../harness/exactly-once';
import { GroupProgress, produce } from '../harness/kafka';
import { indexedStart, pipelineEnv } from '../harness/pipeline';
import { readyz } from '../harness/processes';
import { useResources } from '../harness/resources';

const resources = useResources({ budgetMs: 120_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const counter = (metrics: string, name: string, labels = '') =>
  [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);

describe('the handler on worker threads (AMPSEAL_HANDLER_THREADS)', () => {
  it('writes every input exactly once in partition order, evicts through the threads, and counts in /metrics what the threads did', async () => {
    const TOTAL = 1_200;
    const env = pipelineEnv({
      AMPSEAL_HANDLER_THREADS: '2',
      AMPSEAL_PARTITIONS_CONCURRENTLY: '3',
      AMPSEAL_TOPIC_PARTITIONS: '4',
      AMPSEAL_AUDIENCES: 'analytics',
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '40',
      AMPSEAL_LOG_LEVEL: 'info',
    });
    const config = loadConfig(env);
    expect([config.handlerThreads, config.partitionsConcurrently]).toEqual([2, 3]);
    const { logger, lines } = captureLogger('info');
    const service = resources.add('pseudonymizer', createPseudonymizer(config, logger), (s) => s.lifecycle.stop());
    const evictions: EvictionEvent[] = [];
    const onEviction = (e: unknown) => evictions.push(e as EvictionEvent);
    subscribe(EVICTION_CHANNEL, onEviction);
    resources.add('subscription', onEviction, async (fn) => unsubscribe(EVICTION_CHANNEL, fn));
    await service.lifecycle.start();

    const kafka = kafkaClient('handler-threads');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));
    // Two records the parser refuses: quarantined by the thread, the raw record carried back to the main thread.
    await produce(kafka, config.topics.ocppRaw, [...inputs.slice(0, 600), { key: 'CP-1', value: '{"tenant":' }, ...inputs.slice(600), { key: 'CP-2', value: '[]' }]);
    await progress.reach(TOTAL + 2);
    expect((await readyz(service.ops.port))?.code).toBe(200);

    // The threads' key rings and the pipeline counters, re-published on the main thread.
    const metrics = await (await fetch(`http://127.0.0.1:${service.ops.port}/metrics`)).text();
    expect(counter(metrics, 'ampseal_records_in_total')).toBe(TOTAL + 2);
    expect(counter(metrics, 'ampseal_records_out_total', 'audience="analytics"')).toBe(TOTAL);
    expect(counter(metrics, 'ampseal_records_quarantined_total')).toBe(2);
    expect(counter(metrics, 'ampseal_key_cache_lookups_total')).toBeGreaterThanOrEqual(TOTAL);
    expect(counter(metrics, 'ampseal_subject_keys_created_total')).toBeGreaterThanOrEqual(TOTAL);
    expect(counter(metrics, 'ampseal_redis_roundtrips_total', 'outcome="ok"')).toBeGreaterThan(0);
    // The threads' log lines reach the process's logger (each thread's key ring loaded the tenant's key set).
    const keySetLoaded = lines.map((l) => JSON.parse(l) as { event?: string; thread?: number }).filter((l) => l.event === 'keyring.keyset.loaded');
    expect(new Set(keySetLoaded.map((l) => l.thread))).toEqual(new Set([0, 1]));

    // A receipt consumed on the main thread reaches the thread caches that hold the token, and is acknowledged by
    // every thread before the eviction counts as done. The receipts consumer starts at the end of its topic: the
    // receipt is written again until this instance has seen it (eviction is idempotent).
    const registry = registryClient();
    const { records } = await readToEnd(kafka, [config.topics.analytics], { deadlineMs: 30_000 });
    const first = (await registry.decode(records[0]!.value!)) as { identifiers: Array<{ token: string }> };
    const token = first.identifiers[0]!.token;
    const receipt = { version: 1, requestId: 'threads-evict-1', tenant: 'acme-cpo', action: 'erase', status: 'done', completedAt: new Date().toISOString(), subjects: 1, retiredTokens: [token] };
    for (let i = 0; i < 60 && !evictions.some((e) => e.requestId === receipt.requestId); i++) {
      if (i % 10 === 0) await produce(kafka, config.topics.erasureEvents, [{ key: receipt.requestId, value: JSON.stringify(receipt) }]);
      await sleep(250);
    }
    const evicted = evictions.find((e) => e.requestId === receipt.requestId);
    // Only a thread's cache held the subject (the main thread's key ring tokenizes nothing with threads on).
    expect(evicted?.evicted).toBe(1);

    expect(await service.lifecycle.stop()).toBe(true);
    expect(await progress.perPartition()).toEqual(await progress.ends());
    const tally = await tallyOutputs(kafka, { input: config.topics.ocppRaw, analytics: config.topics.analytics, quarantine: config.topics.quarantine }, progress);
    expect(tally.lost).toEqual([]);
    expect(tally.duplicated).toEqual([]);
    expect(tally.analytics.map((e) => e.meterWh).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));

    // Order per partition with partitions handled at once: in each output partition, the outputs of one input
    // partition follow its offsets.
    const lastOffsetOf = new Map<string, number>();
    const inOrder = [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    for (const r of inOrder) {
      const { eventId } = (await registry.decode(r.value!)) as { eventId: string };
      const at = eventId.lastIndexOf(':');
      const key = `${r.partition}<-${eventId.slice(0, at)}`;
      const offset = Number(eventId.slice(at + 1));
      expect(offset).toBeGreaterThan(lastOffsetOf.get(key) ?? -1);
      lastOffsetOf.set(key, offset);
    }
  });

  it('fails the instance for good when a handler thread dies (not ready with the reason, never a hang), and stops cleanly', async () => {
    const env = pipelineEnv({ AMPSEAL_HANDLER_THREADS: '1', AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '20' });
    const config = loadConfig(env);
    const service = resources.add('pseudonymizer', createPseudonymizer(config, captureLogger('warn').logger), (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('handler-thread-dies');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    await produce(kafka, config.topics.ocppRaw, Array.from({ length: 100 }, (_, i) => indexedStart(i)));
    await progress.reach(100);
    expect((await readyz(service.ops.port))?.code).toBe(200);

    await service.handlerThreads()!.terminate(0);
    // The owner hears it at once, without waiting for a chunk to fail (runService then exits 1).
    expect((await service.failed).code).toBe('AMPSEAL_ERR_HANDLER_THREAD_EXITED');
    expect(await readyz(service.ops.port)).toMatchObject({ code: 503, reasons: expect.arrayContaining(['handler_thread_exited']) });
    // Records arriving now reach a stream whose handler rejects at once: nothing is committed past the dead thread.
    await produce(kafka, config.topics.ocppRaw, Array.from({ length: 20 }, (_, i) => indexedStart(100 + i)));
    await sleep(1_000);
    expect(await progress.committed()).toBe(100);
    expect(await service.lifecycle.stop()).toBe(true);
  });
});
