import { readFileSync } from 'node:fs';
import { Type } from 'avsc';
import { CATALOG } from '../catalog';
import { ANALYTICS_SCHEMA_FILE, DEFAULT_POLICY_FILE } from '../index';
import { createInputParser } from '../input';
import { parsePolicy } from '../policy';
import { Transform, type RecordResult } from '../transform';
import { ocpi, ocpiExample, ocpp } from '../__fixtures__/envelopes';
import { FixedKeyTokenSource } from '../__fixtures__/token-source';

const avro = Type.forSchema(JSON.parse(readFileSync(ANALYTICS_SCHEMA_FILE, 'utf8')));
const parser = createInputParser();
const transform = new Transform({
  catalog: CATALOG,
  policy: parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG),
  tokens: new FixedKeyTokenSource(),
  parse: parser.parse,
  audiences: ['analytics'],
});

async function analytics(value: string) {
  const [result] = (await transform.run([{ value, eventId: 'line:1' }])) as [RecordResult];
  if (result.status !== 'emitted' || !result.analytics) throw new Error(JSON.stringify(result));
  return result.analytics;
}

describe('analytics record: values the Avro schema can hold', () => {
  // Found by privacy.property.test.ts (d): OCPP connectorId / evse.connectorId are JSON Schema integers without
  // a maximum, the record's connectorId an Avro int. The Kafka encoder (type.toBuffer) threw on such a record,
  // failing the whole batch again on every retry.
  it.each([
    ['ocpp1.6', { connectorId: 2 ** 31, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }, null],
    ['ocpp1.6', { connectorId: -(2 ** 31) - 1, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }, null],
    ['ocpp1.6', { connectorId: 2 ** 31 - 1, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }, 2 ** 31 - 1],
  ] as const)('%s StartTransaction connectorId beyond 32 bits becomes null, within stays (%#)', async (source, payload, expected) => {
    const record = await analytics(ocpp(source, 'StartTransaction', payload));
    expect(record.connectorId).toBe(expected);
    expect(avro.isValid(record)).toBe(true);
  });

  it('an OCPP 2.0.1 evse.connectorId beyond 32 bits becomes null', async () => {
    const record = await analytics(
      ocpp('ocpp2.0.1', 'TransactionEvent', {
        eventType: 'Started',
        timestamp: '2026-11-24T10:00:03Z',
        triggerReason: 'Authorized',
        seqNo: 0,
        transactionInfo: { transactionId: 'tx-1' },
        evse: { id: 1, connectorId: 2 ** 40 },
      }),
    );
    expect(record.connectorId).toBeNull();
    expect(avro.isValid(record)).toBe(true);
  });
});

describe('analytics record: OCPI DateTime', () => {
  // OCPI 2.2.1 types.asciidoc DateTime: "All timestamps SHALL be in UTC. The absence of the timezone designator
  // implies a UTC timestamp." schemas/ocpi/2.2.1 accepts such values (`Z?`), but ECMA-262 Date.parse reads a
  // date-time without offset as LOCAL time, so on a host outside UTC the record's times shift by its offset.
  // The stub below makes Date.parse behave as on a host at UTC−05:00 (the container runs in UTC).
  const realParse = Date.parse;
  beforeEach(() => {
    jest.spyOn(Date, 'parse').mockImplementation((text: string) => {
      const ms = realParse(text);
      return /(?:Z|[+-]\d\d:\d\d)$/i.test(text) || !/T\d\d:/.test(text) ? ms : ms + 5 * 3_600_000;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('reads a DateTime with Z as UTC on any host', async () => {
    const session = { ...ocpiExample('session_example_1_simple_start.json'), start_date_time: '2026-11-24T10:00:00Z', last_updated: '2026-11-24T10:05:00Z' };
    const record = await analytics(ocpi('sessions', session));
    expect([record.startTime, record.eventTime]).toEqual([Date.UTC(2026, 10, 24, 10, 0), Date.UTC(2026, 10, 24, 10, 5)]);
  });

  // BUG (audiences/analytics.ts coerce, TIME_FIELDS branch): Date.parse(value) without appending the implied `Z`.
  it('reads a DateTime without a time-zone designator as UTC on any host', async () => {
    const session = { ...ocpiExample('session_example_1_simple_start.json'), start_date_time: '2026-11-24T10:00:00', last_updated: '2026-11-24T10:05:00' };
    const record = await analytics(ocpi('sessions', session));
    expect([record.startTime, record.eventTime]).toEqual([Date.UTC(2026, 10, 24, 10, 0), Date.UTC(2026, 10, 24, 10, 5)]);
  });
});
