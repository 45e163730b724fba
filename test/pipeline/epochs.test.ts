import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE } from '@ampseal/core';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';

/**
 * Token epochs in the stream (keyring SPEC K44–K46): the pseudonymizer on Kafka with a tenant whose policy sets
 * `linkability`, its analytics as registry Avro (schema v3): one token within an epoch, another in the next, EXPIRED
 * (no token) past the retention; the other tenant's tokens do not depend on time.
 */
const resources = useResources();
const DAY = 86_400_000;

function start(tenant: string, idTag: string, at: number, i: number): { key: string; value: string } {
  return {
    key: 'CP-EPOCH',
    value: JSON.stringify({
      tenant,
      source: 'ocpp1.6',
      stationId: 'CP-EPOCH',
      receivedAt: new Date(at + 1_000).toISOString(),
      action: 'StartTransaction',
      frame: [2, `e${i}`, 'StartTransaction', { connectorId: 1, idTag, meterStart: i, timestamp: new Date(at).toISOString() }],
    }),
  };
}

describe('token epochs in the stream', () => {
  it('analytics carries epoch tokens and EXPIRED as registry Avro for the tenant with a window, plain tokens for the other', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const policy = join(mkdtempSync(join(tmpdir(), 'ampseal-epochs-stream-')), 'policy.yaml');
    writeFileSync(policy, readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace(/^tenants: \{\}$/m, 'tenants:\n  acme-cpo:\n    linkability: { window: P30D, retention: P2Y }'));
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1', AMPSEAL_POLICY_FILE: policy });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const service = resources.add('pseudonymizer', createPseudonymizer(config, logger), (s) => s.lifecycle.stop());
    await service.lifecycle.start();

    const card = randomBytes(7).toString('hex').toUpperCase();
    const epochStart = Math.floor(Date.now() / (30 * DAY)) * 30 * DAY - 60 * DAY; // two P30D epochs back: all times past
    const times = [epochStart + DAY, epochStart + 11 * DAY, epochStart + 41 * DAY, Date.now() - 800 * DAY];
    const kafka = kafkaClient('epochs-stream');
    await produce(kafka, config.topics.ocppRaw, [
      ...times.map((t, i) => start('acme-cpo', card, t, i)),
      ...times.slice(0, 3).map((t, i) => start('voltway-cpo', card, t, 10 + i)),
    ]);
    const seen = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 7, 60_000);
    const registry = registryClient();
    const events = (await Promise.all(seen.map(async (m) => (await registry.decode(m.value!)) as { meterWh: number; identifiers: Array<{ status: string; token: string | null }> }))).sort(
      (a, b) => a.meterWh - b.meterWh,
    );
    const ids = events.map((e) => e.identifiers[0]!);
    const [d1, d11, d41, old, v1, v11, v41] = ids;
    expect(d11).toEqual(d1);
    expect(d41!.status).toBe('TOKENIZED');
    expect(d41!.token).not.toBe(d1!.token);
    expect(old).toMatchObject({ status: 'EXPIRED', token: null });
    expect(new Set([v1!.token, v11!.token, v41!.token]).size).toBe(1);
    expect([d1!.token, d41!.token]).not.toContain(v1!.token);
    expect(JSON.stringify(events)).not.toContain(card);
  }, 90_000);
});
