import { randomBytes } from 'node:crypto';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';

const resources = useResources();

function authorize(idTag: string, i: number, receivedAt: string) {
  return { key: 'CP-R', value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-R', receivedAt, action: 'Authorize', frame: [2, `r${i}`, 'Authorize', { idTag }] }) };
}

describe('replay after an erasure', () => {
  it('never brings the old token back and mints no key for events before the erasure', async () => {
    const env = pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics', AMPSEAL_TOPIC_PARTITIONS: '1' });
    const config = loadConfig(env);
    const first = createPseudonymizer(config, captureLogger('warn').logger);
    resources.add('first', first, (s) => s.lifecycle.stop());
    await first.lifecycle.start();
    const kafka = kafkaClient('replay');
    const erased = randomBytes(7).toString('hex').toUpperCase();
    const kept = randomBytes(7).toString('hex').toUpperCase();
    const before = new Date(Date.now() - 60_000).toISOString();
    await produce(kafka, config.topics.ocppRaw, [authorize(erased, 1, before), authorize(kept, 2, before), authorize(erased, 3, before)]);
    await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 3);
    await first.lifecycle.stop();

    const shredder = createShredder(loadConfig({ ...env, AMPSEAL_GROUP_ID: `${config.groupId}-shredder` }), captureLogger('warn').logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    const requestId = `replay-${randomBytes(4).toString('hex')}`;
    await produce(kafka, config.topics.erasureRequests, [
      { key: requestId, value: JSON.stringify({ requestId, tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value: erased }], reason: 'test' }) },
    ]);
    const receipt = (await consumeUntil(kafka, [config.topics.erasureEvents], (s) => s.some((m) => m.key === requestId))).find((m) => m.key === requestId)!;
    const [oldToken] = (JSON.parse(receipt.value!.toString()) as { retiredTokens: string[] }).retiredTokens;

    // A fresh instance replays the raw topic from the beginning (new group, cold cache).
    const replayEnv = { ...env, AMPSEAL_GROUP_ID: `${config.groupId}-replay`, AMPSEAL_TOPIC_ANALYTICS: `${config.topics.analytics}.replay` };
    const replay = createPseudonymizer(loadConfig(replayEnv), captureLogger('warn').logger);
    resources.add('replay', replay, (s) => s.lifecycle.stop());
    await replay.lifecycle.start();
    const replayed = await consumeUntil(kafka, [replayEnv.AMPSEAL_TOPIC_ANALYTICS], (s) => s.length >= 3);

    const registry = registryClient();
    const ids = await Promise.all(replayed.map(async (m) => (await registry.decode(m.value!)).identifiers[0]));
    const byEvent = replayed.map((m, i) => ({ offset: Number(m.offset), id: ids[i] }));
    expect(byEvent.map((e) => e.id.status)).toEqual(['ERASED', 'TOKENIZED', 'ERASED']);
    expect(ids.every((id) => id.token !== oldToken)).toBe(true);
    expect(ids.filter((id) => id.status === 'ERASED').every((id) => id.token === null)).toBe(true);
    // The kept subject's key existed already and the erased subject must not get one: nothing minted.
    expect(replay.keyring()!.stats().keysCreated).toBe(0);
  }, 90_000);
});
