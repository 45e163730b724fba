import { randomBytes } from 'node:crypto';
import { loadConfig } from '@ampseal/runtime';
import { kafkaClient } from '../harness/clients';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { exitOf, freePort, spawnService, waitForHttp } from '../harness/processes';
import { useResources } from '../harness/resources';

const resources = useResources();
const TOTAL = 12_000;

function start(i: number): string {
  const idTag = randomBytes(7).toString('hex').toUpperCase();
  return JSON.stringify({
    tenant: 'acme-cpo',
    source: 'ocpp1.6',
    stationId: `CP-${i % 50}`,
    receivedAt: '2026-11-24T10:00:03.120Z',
    action: 'StartTransaction',
    frame: [2, `m${i}`, 'StartTransaction', { connectorId: 1, idTag, meterStart: i, timestamp: '2026-11-24T10:00:03Z' }],
  });
}

describe('exactly once under crashes', () => {
  it('yields exactly one analytics record per input although the service is killed -9 mid-stream, repeatedly', async () => {
    const port = freePort();
    const env = pipelineEnv({
      AMPSEAL_HTTP_PORT: String(port),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '150',
      AMPSEAL_KAFKA_SESSION_TIMEOUT_MS: '6000',
      AMPSEAL_AUDIENCES: 'analytics',
    });
    const config = loadConfig(env);
    const kafka = kafkaClient('crash');

    // First start creates the topics; then the whole input is published while the service runs.
    let child = spawnService('pseudonymizer', env);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    await produce(kafka, config.topics.ocppRaw, Array.from({ length: TOTAL }, (_, i) => ({ key: `CP-${i % 50}`, value: start(i) })));

    const admin = resources.add('admin', kafka.admin(), (a) => a.disconnect());
    await admin.connect();
    const committed = async () => {
      const [topic] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topics.ocppRaw] });
      return topic!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    const progressAtKill: number[] = [];
    for (let kill = 0; kill < 4; kill++) {
      await new Promise((r) => setTimeout(r, 700 + Math.floor(Math.random() * 900)));
      child.kill('SIGKILL');
      expect((await exitOf(child)).signal).toBe('SIGKILL');
      progressAtKill.push(await committed());
      child = spawnService('pseudonymizer', env);
    }
    // The kills landed mid-stream: input was committed in part, not none and not all.
    expect(progressAtKill.some((n) => n > 0 && n < TOTAL)).toBe(true);

    const seen = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= TOTAL, 120_000);
    // Give a duplicate, if any, time to show up before counting.
    const settled = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length > TOTAL, 3_000);
    child.kill('SIGTERM');
    const exit = await exitOf(child);
    resources.add('last child', child, async () => undefined);

    const ids = settled.map((m) => m.value!.subarray(5).toString('latin1'));
    expect(seen.length).toBeGreaterThanOrEqual(TOTAL);
    expect(settled).toHaveLength(TOTAL);
    // eventId (topic:partition:offset) is the first Avro field: one distinct record per input offset.
    expect(new Set(ids).size).toBe(TOTAL);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 240_000);
});
