import { readFileSync } from 'node:fs';
import { CATALOG } from '../catalog';
import { analyticsType } from '@ampseal/schemas/codec';
import { DEFAULT_POLICY_FILE } from '../index';
import { createInputParser } from '../input';
import { parsePolicy } from '../policy';
import { Transform, type RecordResult } from '../transform';
import { ocpi, ocpiExample, ocpp } from '../__fixtures__/envelopes';
import { FixedKeyTokenSource } from '../__fixtures__/token-source';

const avro = analyticsType();
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

async function resultOf(value: string): Promise<RecordResult> {
  const [result] = (await transform.run([{ value, eventId: 'line:1' }])) as [RecordResult];
  return result;
}

describe('analytics record: values the Avro schema can hold', () => {
  // Found by privacy.property.test.ts (d): OCPP connectorId / evse.connectorId are JSON Schema integers without
  // a maximum, the record's connectorId an Avro int. The Kafka encoder (type.toBuffer) threw on such a record,
  // failing the whole batch again on every retry. Such a record is now quarantined with where and why.
  it.each([
    ['ocpp1.6', 2 ** 31],
    ['ocpp1.6', -(2 ** 31) - 1],
  ] as const)('%s StartTransaction connectorId %d beyond 32 bits is quarantined as number_out_of_range at /connectorId', async (source, connectorId) => {
    const result = await resultOf(ocpp(source, 'StartTransaction', { connectorId, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }));
    expect(result).toEqual({ status: 'quarantined', reason: 'number_out_of_range', pointer: '/frame/3/connectorId', keyword: 'range' });
  });

  it('keeps a connectorId at the 32-bit limit', async () => {
    const record = await analytics(
      ocpp('ocpp1.6', 'StartTransaction', { connectorId: 2 ** 31 - 1, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }),
    );
    expect(record.connectorId).toBe(2 ** 31 - 1);
    expect(avro.isValid(record)).toBe(true);
  });

  it('quarantines an OCPP 2.0.1 evse.connectorId beyond 32 bits at its pointer', async () => {
    const result = await resultOf(
      ocpp('ocpp2.0.1', 'TransactionEvent', {
        eventType: 'Started',
        timestamp: '2026-11-24T10:00:03Z',
        triggerReason: 'Authorized',
        seqNo: 0,
        transactionInfo: { transactionId: 'tx-1' },
        evse: { id: 1, connectorId: 2 ** 40 },
      }),
    );
    expect(result).toEqual({ status: 'quarantined', reason: 'number_out_of_range', pointer: '/frame/3/evse/connectorId', keyword: 'range' });
  });
});

describe('analytics record: strict numbers (decimal notation only, within ±2^53)', () => {
  const meterValues = (value: string) =>
    ocpp('ocpp1.6', 'MeterValues', {
      connectorId: 1,
      transactionId: 7,
      meterValue: [
        { timestamp: '2026-11-24T10:00:03Z', sampledValue: [{ value: '230.1', measurand: 'Voltage' }] },
        { timestamp: '2026-11-24T10:00:04Z', sampledValue: [{ value: '5', measurand: 'SoC' }, { value }] },
      ],
    });

  it.each([
    ['0x04A2B3C4D5E6F7', 'bad_number', 'decimal'],
    ['0b1011', 'bad_number', 'decimal'],
    ['0o17', 'bad_number', 'decimal'],
    ['1e3', 'bad_number', 'decimal'],
    ['Infinity', 'bad_number', 'decimal'],
    [' 12', 'bad_number', 'decimal'],
    ['', 'bad_number', 'decimal'],
    ['12345678901234567890', 'number_out_of_range', 'range'],
  ] as const)('a sampled value %j is quarantined as %s with the pointer of the value', async (value, reason, keyword) => {
    const result = await resultOf(meterValues(value));
    expect(result).toEqual({ status: 'quarantined', reason, keyword, pointer: '/frame/3/meterValue/1/sampledValue/1/value' });
  });

  it.each([
    ['1234.5', 1234.5],
    ['-0.25', -0.25],
    ['+17', 17],
    ['.5', 0.5],
    ['9007199254740991', 9007199254740991],
  ] as const)('a decimal sampled value %j is read as %d Wh', async (value, wh) => {
    const record = await analytics(meterValues(value));
    expect(record.meterWh).toBe(wh);
  });

  it('a register that a multiplier pushes beyond 2^53 is quarantined, not rounded', async () => {
    const result = await resultOf(
      ocpp('ocpp2.0.1', 'MeterValues', {
        evseId: 1,
        meterValue: [{ timestamp: '2026-11-24T10:00:03Z', sampledValue: [{ value: 12345, unitOfMeasure: { unit: 'Wh', multiplier: 20 } }] }],
      }),
    );
    expect(result).toMatchObject({ status: 'quarantined', reason: 'number_out_of_range', pointer: '/frame/3/meterValue/0/sampledValue/0/value' });
  });

  it('an OCPI number beyond 2^53 (JSON already rounded it) is quarantined', async () => {
    const cdr = { ...ocpiExample('cdr_example.json'), total_energy: 2 ** 60 };
    const result = await resultOf(ocpi('cdrs', cdr));
    expect(result).toMatchObject({ status: 'quarantined', reason: 'number_out_of_range', pointer: '/object/total_energy' });
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
