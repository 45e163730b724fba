import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { ANALYTICS_SCHEMA_FILE, AmpsealError, createTransform } from '@ampseal/core';
import { RecordProducer, createAvroEncoder } from '@ampseal/kafka';
import { createPseudonymizer, createRecordHandler } from '@ampseal/pseudonymizer';
import { createStreamService, loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { endpoints } from '../harness/endpoints';
import { GroupProgress, consumeUntil, createTopics, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { exitOf, freePort, spawnService, waitForReady } from '../harness/processes';
import { uniqueName, useResources } from '../harness/resources';

/** Three short services and a registry call (about 15 s alone); most of it is consumer group joins. */
const resources = useResources({ budgetMs: 120_000 });

function authorize(i: number): { key: string; value: string } {
  const idTag = randomBytes(7).toString('hex').toUpperCase();
  return {
    key: 'CP-9',
    value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-9', receivedAt: '2026-11-24T10:00:03.120Z', action: 'Authorize', frame: [2, `a${i}`, 'Authorize', { idTag }] }),
  };
}
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => authorize(from + i));


/**
 * A zombie takes the service's transactional id (one partition: `<group>-tx-<topic>-0`, TransactionalStream) and
 * begins a transaction: the broker bumps the id's epoch, so the service's next transaction is refused.
 */
async function fence(kafka: ReturnType<typeof kafkaClient>, groupId: string, topic: string): Promise<void> {
  const zombie = resources.add('zombie producer', new RecordProducer(kafka, { transactionalId: `${groupId}-tx-${topic}-0` }), (p) => p.stop());
  await zombie.start();
  // kafkajs asks for the producer id (and epoch) with the first transaction; an empty one is aborted locally.
  await zombie.transaction([], 'abort');
}

describe('failure policy: a non-retriable infrastructure failure', () => {
  it('a fenced producer: /readyz answers 503 failed producer_fenced, nothing more is emitted or committed, and it stops cleanly', async () => {
    const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1' });
    const config = loadConfig(env);
    const { logger, lines } = captureLogger('warn');
    const service = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('failure-policy');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${service.ops.port}/readyz`);
      return { status: res.status, body: await res.json() };
    };

    await produce(kafka, config.topics.ocppRaw, batch(0, 20));
    await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 20);
    while ((await progress.committed()) < 20) await sleep(50);
    expect((await readyz()).status).toBe(200);

    await fence(kafka, config.groupId, config.topics.ocppRaw);
    await produce(kafka, config.topics.ocppRaw, batch(100, 20));
    const failure = await service.failed;

    expect(failure.code).toBe('AMPSEAL_ERR_PRODUCER_FENCED');
    expect(await readyz()).toEqual({ status: 503, body: { status: 'failed', reasons: ['producer_fenced'] } });
    expect(service.stream()?.failedBy?.reason).toBe('producer_fenced');
    expect(await (await fetch(`http://127.0.0.1:${service.ops.port}/metrics`)).text()).toMatch(/^ampseal_failed\{[^}]*reason="producer_fenced"[^}]*\} 1$/m);
    expect(await progress.committed()).toBe(20);
    // What a read_committed reader sees: the first twenty, nothing of the refused transaction.
    expect(await consumeUntil(kafka, [config.topics.analytics], (s) => s.length > 20, 2_000)).toHaveLength(20);
    expect(lines.join('')).toContain('"reason":"producer_fenced"');
    expect(await service.lifecycle.stop()).toBe(true);
  });

  it('the service process exits 1 within its stop deadline, naming the reason, so the orchestrator restarts it', async () => {
    const port = freePort();
    const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1', AMPSEAL_HTTP_PORT: String(port), AMPSEAL_STOP_DEADLINE_MS: '10000' });
    const config = loadConfig(env);
    const kafka = kafkaClient('failure-policy-process');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const child = spawnService('pseudonymizer', env);
    await waitForReady(child, port);

    await produce(kafka, config.topics.ocppRaw, batch(0, 10));
    while ((await progress.committed()) < 10) await sleep(50);
    await fence(kafka, config.groupId, config.topics.ocppRaw);
    await produce(kafka, config.topics.ocppRaw, batch(100, 10));

    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
    const exitedAt = Date.now();
    const fatal = child.output
      .join('')
      .split('\n')
      .filter((l) => l.includes('failed: stopping, exit 1'))
      .map((l) => JSON.parse(l) as { time: string; err: { code: string; reason: string } });
    expect(fatal.map((f) => f.err)).toEqual([{ code: 'AMPSEAL_ERR_PRODUCER_FENCED', reason: 'producer_fenced' }]);
    // The stop is bounded by the deadline (Lifecycle), and the exit follows it at once: the contract, not a speed.
    expect(exitedAt - Date.parse(fatal[0]!.time)).toBeLessThanOrEqual(config.stopDeadlineMs + 2_000);
    expect(await progress.committed()).toBe(10);
  });
});

describe('failure policy: a per-record failure', () => {
  it('a poison record (its analytics record does not fit the schema) is quarantined with encode_failed, and every other record is delivered exactly once', async () => {
    const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1', AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '7' });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const topics = config.topics;
    const POISON = `${topics.ocppRaw}:0:10`;
    // The pseudonymizer's own parts on the service kit (the same handler, transform, registry-backed encoder and
    // Kafka edge), except that one record's analytics record is bent out of the schema before the real encoder
    // sees it: what a policy and a schema out of step would do to every record of a kind.
    const service = createStreamService({
      name: 'pseudonymizer',
      config,
      logger,
      inputTopics: [topics.ocppRaw],
      maxRecordsPerTransaction: config.maxRecordsPerTransaction,
      readyWhenJoined: true,
      topics: [topics.ocppRaw, topics.analytics, topics.quarantine].map((topic) => ({ topic, partitions: 1 })),
      setUp: async ({ keyring }) => {
        const real = await createAvroEncoder(config.schemaRegistryUrl, topics.analytics, ANALYTICS_SCHEMA_FILE);
        const encoder = { schemaId: real.schemaId, encode: (r: unknown) => real.encode((r as { eventId: string }).eventId === POISON ? { ...(r as object), eventType: 42 } : r) };
        const transform = createTransform({ tokens: keyring, audiences: ['analytics'], policyFile: config.policyFile });
        return { handler: createRecordHandler({ transform, encoder, topics }) };
      },
    });
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('failure-policy-poison');
    const progress = new GroupProgress(kafka, config.groupId, topics.ocppRaw);

    await produce(kafka, topics.ocppRaw, batch(0, 30));
    while ((await progress.committed()) < 30) await sleep(50);

    const quarantined = await consumeUntil(kafka, [topics.quarantine], (q) => q.length >= 1);
    expect(quarantined.map((q) => [q.headers['ampseal.reason'], q.headers['ampseal.source']])).toEqual([['encode_failed', POISON]]);
    // Everything is committed: a read_committed reader sees the final output; reading on briefly lets a duplicate show.
    await consumeUntil(kafka, [topics.analytics], (a) => a.length >= 29);
    const analytics = await consumeUntil(kafka, [topics.analytics], (a) => a.length > 29, 3_000);
    const registry = registryClient();
    const ids = await Promise.all(analytics.map(async (m) => ((await registry.decode(m.value!)) as { eventId: string }).eventId));
    const expected = Array.from({ length: 30 }, (_, o) => `${topics.ocppRaw}:0:${o}`).filter((id) => id !== POISON);
    expect(ids.sort()).toEqual(expected.sort());
    expect((await fetch(`http://127.0.0.1:${service.ops.port}/readyz`)).status).toBe(200);
    expect(await service.lifecycle.stop()).toBe(true);
  });

  it('a chunk of malformed records whose quarantine copies outgrow the broker batch limit, and a raw record of the largest size the broker takes, are quarantined and the partition moves on', async () => {
    // Quarantine copies raw records and adds headers (docs/topics.md). A fetch of ~1 MiB of small malformed
    // records thus makes over 1 MiB of quarantine output, and a raw record at the broker's size limit makes a
    // copy over it: either transaction was refused with MESSAGE_TOO_LARGE on every attempt, wedging the partition.
    const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1', AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '2000' });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const topics = config.topics;
    const service = resources.add('pseudonymizer', createPseudonymizer(config, logger), (s) => s.lifecycle.stop());
    const kafka = kafkaClient('failure-policy-large');
    // 2,000 records of 480 bytes: one fetch (kafkajs takes up to 1 MiB a partition) and one chunk; with the
    // quarantine headers (~150 bytes each) their copies come to ~1.3 MB, over the broker's 1 MiB batch limit.
    const SMALL = 2_000;
    const small = (i: number) => ({ key: 'CP-9', value: `{"tenant":"acme-cpo","n":${String(i).padStart(4, '0')},"pad":"${'x'.repeat(441)}"` });
    // message.max.bytes is 1,048,588 by default; batch and record framing take 61 + ~15 bytes of it, so this is
    // within ~25 bytes of the largest record the raw topic takes, and its copy with headers is over it.
    const largest = { key: 'CP-9', value: Buffer.alloc(1_048_588 - 100, 0x61) };
    await createTopics(kafka, resources, [{ topic: topics.ocppRaw, partitions: 1 }]);
    // All produced before the service starts, so the small ones are fetched together into one chunk.
    await produce(kafka, topics.ocppRaw, Array.from({ length: SMALL }, (_, i) => small(i)));
    await produce(kafka, topics.ocppRaw, [largest]);
    await produce(kafka, topics.ocppRaw, batch(0, 10));
    await service.lifecycle.start();
    const progress = new GroupProgress(kafka, config.groupId, topics.ocppRaw);
    const ready = async () => {
      const r = await fetch(`http://127.0.0.1:${service.ops.port}/readyz`);
      return `${r.status} ${await r.text()}`;
    };
    while ((await progress.committed()) < SMALL + 11) {
      expect(await ready()).not.toMatch(/^503/);
      await sleep(100);
    }

    const quarantined = await consumeUntil(kafka, [topics.quarantine], (q) => q.length >= SMALL + 1);
    expect(quarantined.map((q) => q.headers['ampseal.source'])).toEqual(Array.from({ length: SMALL + 1 }, (_, i) => `${topics.ocppRaw}:0:${i}`));
    expect(quarantined.slice(0, SMALL).every((q, i) => q.headers['ampseal.reason'] === 'bad_json' && q.value!.toString() === small(i).value)).toBe(true);
    // The record over the input limit was never parsed; its copy would not fit the quarantine topic, so it
    // points at the raw record instead of carrying it.
    const over = quarantined[SMALL]!;
    expect([over.headers['ampseal.reason'], over.headers['ampseal.omitted-bytes'], over.value!.length]).toEqual(['too_large', String(largest.value.length), 0]);
    await consumeUntil(kafka, [topics.analytics], (a) => a.length >= 10);
    const analytics = await consumeUntil(kafka, [topics.analytics], (a) => a.length > 10, 3_000);
    expect(analytics).toHaveLength(10);
    expect(await ready()).toMatch(/^200/);
  });

  it('the registry-backed encoder refuses a record that does not fit the analytics schema as ENCODE_FAILED, naming fields, never values', async () => {
    const encoder = await createAvroEncoder(endpoints().schemaRegistryUrl, uniqueName('failure-policy.analytics'), ANALYTICS_SCHEMA_FILE);
    let thrown: unknown;
    try {
      encoder.encode({ eventId: 'x', secretField: '04A2B3C4' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AmpsealError);
    const error = thrown as AmpsealError;
    expect([error.code, error.stage, error.retriable]).toEqual(['AMPSEAL_ERR_ENCODE_FAILED', 'record', false]);
    expect(error.message).not.toContain('04A2B3C4');
    expect(error.cause).toBeUndefined();
  });
});
