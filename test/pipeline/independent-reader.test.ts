import { randomBytes } from 'node:crypto';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { endpoints } from '../harness/endpoints';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { pythonReader } from '../harness/python-reader';
import { useResources } from '../harness/resources';

// The first run installs the Python reader (pip) before the test proper.
const resources = useResources({ budgetMs: 240_000 });

describe('an independent consumer reads the analytics topic', () => {
  it("decodes our records unchanged with Confluent's Python client and the registry", async () => {
    const reader = pythonReader();
    const config = loadConfig(pipelineEnv({ AMPSEAL_AUDIENCES: 'analytics' }));
    const service = createPseudonymizer(config, captureLogger('warn').logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();
    const kafka = kafkaClient('reader');
    const idTag = randomBytes(7).toString('hex').toUpperCase();
    await produce(kafka, config.topics.ocppRaw, [
      {
        key: 'CP-7',
        value: JSON.stringify({
          tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-7', receivedAt: '2026-11-24T10:00:03.120Z', action: 'StartTransaction',
          frame: [2, 'x1', 'StartTransaction', { connectorId: 2, idTag, meterStart: 4321, timestamp: '2026-11-24T10:00:03Z' }],
        }),
      },
    ]);
    const [ours] = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 1);
    const out = reader.run([endpoints().kafkaBrokers.join(','), endpoints().schemaRegistryUrl, config.topics.analytics, '1']);
    const [line] = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(line.schema_id).toBe(ours!.value!.readInt32BE(1));
    expect(line.record).toMatchObject({
      tenant: 'acme-cpo',
      source: 'OCPP_1_6',
      eventType: 'TRANSACTION_STARTED',
      stationId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      privateSite: false,
      connectorId: 2,
      meterWh: 4321,
      identifiers: [{ field: 'idTag', kind: 'uid', status: 'TOKENIZED', token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) }],
    });
    // fastavro renders timestamp-millis as a datetime: the generalized minute comes back intact.
    expect(String(line.record.eventTime)).toContain('2026-11-24 10:00:00');
    expect(out).not.toContain(idTag);
    expect(out).not.toContain('CP-7');
  }, 120_000);
});
