import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { roamingTopic } from '@ampseal/core';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { consumeUntil, produce, waitForTopics } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';

const resources = useResources();
/** The official OCPI examples vendored in core's fixtures (services/core/src/__fixtures__/reference/README.md). */
const REFERENCE = join(__dirname, '..', '..', 'services', 'core', 'src', '__fixtures__', 'reference', 'ocpi221', 'examples');
const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

function ocpp(source: string, stationId: string, action: string, payload: object, receivedAt = '2026-11-24T10:00:03.120Z') {
  return JSON.stringify({ tenant: 'acme-cpo', source, stationId, receivedAt, action, frame: [2, hex(4), action, payload] });
}

describe('pseudonymizer on Kafka (real broker, registry, Redis, KMS)', () => {
  it('publishes analytics as registry Avro, roaming only to the issuer, and bad input to quarantine', async () => {
    const env = pipelineEnv();
    const config = loadConfig(env);
    const { logger, lines } = captureLogger();
    const service = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();

    const card = hex(7);
    const emaid = `NL-TNM-C${hex(4)}-K`;
    const cdr = JSON.parse(readFileSync(join(REFERENCE, 'cdr_example.json'), 'utf8'));
    cdr.cdr_token = { ...cdr.cdr_token, uid: card.toLowerCase(), contract_id: `DE8ACC${hex(4)}` };
    cdr.remark = 'driver said hello';
    const foreignCdr = { ...cdr, id: 'other', cdr_token: { ...cdr.cdr_token, country_code: 'NL', party_id: 'EMS', uid: hex(4) } };

    const kafka = kafkaClient('e2e');
    await produce(kafka, config.topics.ocppRaw, [
      { key: 'CP-1', value: ocpp('ocpp1.6', 'CP-1', 'StartTransaction', { connectorId: 1, idTag: card, meterStart: 1200, timestamp: '2026-11-24T10:00:03Z' }) },
      { key: 'CP-2', value: ocpp('ocpp2.0.1', 'CP-2', 'Authorize', { idToken: { idToken: emaid.toLowerCase(), type: 'eMAID' } }) },
      { key: 'CP-1', value: ocpp('ocpp1.6', 'CP-1', 'Heartbeat', {}) },
      { key: 'CP-1', value: '{"tenant":' },
      { key: 'CP-1', value: ocpp('ocpp1.6', 'CP-1', 'MakeCoffee', {}) },
      { key: 'CP-1', value: ocpp('ocpp1.6', 'CP-1', 'Authorize', { idTag: `${card}${card}` }) },
      { key: 'CP-1', value: ocpp('ocpp1.6', 'CP-1', 'StopTransaction', { transactionId: 7, idTag: card, meterStop: 9000, timestamp: '2026-11-24T11:00:03Z' }, '2026-11-24T11:00:03.500Z') },
    ]);
    await produce(kafka, config.topics.ocpiRaw, [
      { key: cdr.id, value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: cdr }) },
      { key: foreignCdr.id, value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: foreignCdr }) },
    ]);

    const { analytics, quarantine } = config.topics;
    const [toDE, toNL] = ['DE-TNM', 'NL-EMS'].map((r) => roamingTopic(config.topics.roamingTemplate, r)) as [string, string];
    const roaming = (topic: string) => topic === toDE || topic === toNL;
    await waitForTopics(kafka, [toDE, toNL]);
    const seen = await consumeUntil(
      kafka,
      [analytics, toDE, toNL, quarantine],
      (s) => s.filter((m) => m.topic === analytics).length >= 5 && s.filter((m) => roaming(m.topic)).length >= 2 && s.filter((m) => m.topic === quarantine).length >= 3,
    );

    // Analytics: Confluent wire format, decodable through the registry.
    const registry = registryClient();
    const events = await Promise.all(seen.filter((m) => m.topic === analytics).map(async (m) => ({ key: m.key, wire: m.value!, event: await registry.decode(m.value!) })));
    expect(events).toHaveLength(5);
    for (const { wire } of events) expect(wire[0]).toBe(0);
    const byType = (t: string) => events.filter((e) => e.event.eventType === t).map((e) => e.event);
    const [start] = byType('TRANSACTION_STARTED');
    // The station id is a link token, and so is the record key: never the clear identity (issue 9).
    expect(start).toMatchObject({ stationId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), meterWh: 1200, connectorId: 1, eventTime: Date.parse('2026-11-24T10:00:00Z') });
    expect(byType('TRANSACTION_ENDED')[0].stationId).toBe(start.stationId);
    for (const { key } of events) expect(key?.toString()).not.toMatch(/^CP-/);
    expect(events.find((e) => e.event === start)!.key!.toString()).toBe(start.stationId);
    const cardToken = start.identifiers[0].token;
    expect(start.identifiers[0]).toMatchObject({ kind: 'uid', status: 'TOKENIZED' });
    expect(byType('TRANSACTION_ENDED')[0].identifiers[0].token).toBe(cardToken);
    const cdrEvents = byType('CDR');
    expect(cdrEvents).toHaveLength(2);
    const ours = cdrEvents.find((e) => e.identifiers.some((i: { token: string }) => i.token === cardToken));
    expect(ours).toMatchObject({ postalCode: '900', city: null, latitude: 3.72, energyKwh: 15.342 });
    expect(byType('AUTHORIZATION_REQUESTED')[0].identifiers[0]).toMatchObject({ kind: 'emaid', status: 'TOKENIZED' });
    const analyticsBytes = Buffer.concat(seen.filter((m) => m.topic === analytics).map((m) => m.value!)).toString('latin1');
    for (const secret of [card, emaid, emaid.replace(/-/g, ''), cdr.cdr_token.contract_id]) expect(analyticsBytes.toUpperCase()).not.toContain(secret.toUpperCase());

    // Roaming: each CDR only on its issuer's own topic, keyed by the CDR id, reduced to OCPI fields, identifiers clear.
    const roamed = seen.filter((m) => roaming(m.topic)).map((m) => ({ topic: m.topic, key: m.key, body: JSON.parse(m.value!.toString()) }));
    expect(roamed.map((r) => [r.topic, r.key, r.body.recipient]).sort()).toEqual([
      [toDE, cdr.id, 'DE-TNM'],
      [toNL, 'other', 'NL-EMS'],
    ]);
    const de = roamed.find((r) => r.topic === toDE)!.body;
    expect(de).toMatchObject({ recipient: 'DE-TNM', module: 'cdrs' });
    expect(de.object.cdr_token.uid).toBe(card.toLowerCase());
    expect(de.object).not.toHaveProperty('remark');

    // Quarantine: the raw record with its reason; the stream kept flowing past it.
    const reasons = seen.filter((m) => m.topic === quarantine).map((m) => m.headers['ampseal.reason']).sort();
    expect(reasons).toEqual(['bad_json', 'schema_violation', 'unknown_action']);

    // No identifier in any log line.
    const log = lines.join('');
    for (const secret of [card, emaid]) expect(log.toUpperCase()).not.toContain(secret.toUpperCase());
    expect(service.keyring()!.stats().kmsCalls).toBeLessThanOrEqual(3);
  });
});
