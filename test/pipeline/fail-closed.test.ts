import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { GroupProgress, consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';

const resources = useResources();

function authorize(i: number): { key: string; value: string } {
  const idTag = randomBytes(7).toString('hex').toUpperCase();
  return {
    key: 'CP-9',
    value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-9', receivedAt: '2026-11-24T10:00:03.120Z', action: 'Authorize', frame: [2, `a${i}`, 'Authorize', { idTag }] }),
  };
}


describe('fail closed when the key store is down', () => {
  it('emits and commits nothing while Redis is stopped, reports not ready, and resumes by itself without loss', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1' });
    const config = loadConfig(env);
    const { logger, lines } = captureLogger('info');
    const service = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('fail-closed');
    const progress = new GroupProgress(kafka, config.groupId, config.topics.ocppRaw);
    const committed = () => progress.committed();
    const ready = async () => (await fetch(`http://127.0.0.1:${service.ops.port}/readyz`)).json() as Promise<{ status: string; reasons: string[] }>;

    await produce(kafka, config.topics.ocppRaw, Array.from({ length: 50 }, (_, i) => authorize(i)));
    await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 50);
    expect(await committed()).toBe(50);

    await redis.stop();
    await produce(kafka, config.topics.ocppRaw, Array.from({ length: 50 }, (_, i) => authorize(100 + i)));
    await sleep(4_000);
    const whileDown = await consumeUntil(kafka, [config.topics.analytics], () => false, 2_000);
    expect(whileDown).toHaveLength(50);
    expect(await committed()).toBe(50);
    expect(await ready()).toEqual({ status: 'not_ready', reasons: ['keyring_unavailable'] });

    await redis.start();
    const after = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 100, 30_000);
    await sleep(1_000);
    expect(after).toHaveLength(100);
    expect(await committed()).toBe(100);
    expect((await ready()).status).toBe('ready');
    expect(lines.join('')).toContain('dependency down: paused');
  }, 90_000);
});
