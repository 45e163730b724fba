import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AmpsealError } from '../errors';
import {
  acceptBothCelsiusSpellings,
  acceptErrataUnits,
  createOcppValidators,
  EXI_MAX_LENGTH,
  type OcppValidators,
  raiseExiLengths,
} from './ocpp';
import { DEFAULT_SCHEMA_DIR } from './schema-dir';

let validators: OcppValidators;
beforeAll(() => {
  validators = createOcppValidators();
});

function reasonOf(error: AmpsealError | undefined): string {
  return error === undefined ? 'valid' : error.reason;
}

const sampledValue16 = (unit: string) => ({
  value: '21.5',
  context: 'Sample.Periodic',
  measurand: 'Temperature',
  location: 'Body',
  unit,
});

describe('OCPP schema index', () => {
  test('lists the 1.6 core and security-extension messages and the 64 messages of 2.0.1', () => {
    expect(validators.actions('ocpp1.6')).toHaveLength(28 + 11);
    expect(validators.actions('ocpp1.6')).toEqual(expect.arrayContaining(['StartTransaction', 'SignCertificate', 'DataTransfer']));
    expect(validators.actions('ocpp2.0.1')).toHaveLength(64);
    expect(validators.has('ocpp2.0.1', 'TransactionEvent', 'req')).toBe(true);
    expect(validators.has('ocpp2.0.1', 'TransactionEvent', 'conf')).toBe(true);
    expect(validators.has('ocpp1.6', 'TransactionEvent')).toBe(false);
    expect(validators.has('ocpp2.0.1', 'StartTransaction')).toBe(false);
  });

  test('every vendored schema compiles with Ajv v8 (206 files)', () => {
    expect(createOcppValidators().compileAll()).toBe(206);
  });

  test('an action of the other version or an unknown name is unknown_action', () => {
    expect(reasonOf(validators.validate('ocpp1.6', 'TransactionEvent', 'req', {}))).toBe('unknown_action');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'StartTransaction', 'req', {}))).toBe('unknown_action');
    expect(reasonOf(validators.validate('ocpp1.6', 'constructor', 'req', {}))).toBe('unknown_action');
    expect(reasonOf(validators.validate('ocpp1.6', 'AuthorizeResponse', 'req', {}))).toBe('unknown_action');
  });

  test('compiles lazily: a broken schema file fails only when its message is first validated', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ampseal-schemas-'));
    try {
      cpSync(path.join(DEFAULT_SCHEMA_DIR, 'vendor'), path.join(dir, 'vendor'), { recursive: true });
      writeFileSync(path.join(dir, 'vendor/ocpp16/schemas/Heartbeat.json'), '{ not json');
      const lazy = createOcppValidators({ schemaDir: dir });
      expect(lazy.has('ocpp1.6', 'Heartbeat', 'req')).toBe(true);
      expect(reasonOf(lazy.validate('ocpp1.6', 'Authorize', 'req', { idTag: 'A' }))).toBe('valid');
      expect(() => lazy.validate('ocpp1.6', 'Heartbeat', 'req', {})).toThrow(SyntaxError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a schema dir without the vendored folders is a configuration error', () => {
    expect(() => createOcppValidators({ schemaDir: path.join(tmpdir(), 'ampseal-no-such-dir') })).toThrow(
      expect.objectContaining({ reason: 'config_invalid' }),
    );
  });
});

describe('OCPP 1.6', () => {
  test('Authorize.req: idTag is required, at most 20 characters, and no other property is allowed', () => {
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'req', { idTag: '04A2B3C4D5E6F7' }))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'req', {}))).toBe('schema_violation');
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'req', { idTag: 'X'.repeat(21) }))).toBe('schema_violation');
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'req', { idTag: 'A', extra: 1 }))).toBe('schema_violation');
  });

  test('Authorize.conf: idTagInfo with a status from the enum', () => {
    const ok = { idTagInfo: { status: 'Accepted', expiryDate: '2026-12-31T23:59:59Z', parentIdTag: 'PARENT-1' } };
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'conf', ok))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'Authorize', 'conf', { idTagInfo: { status: 'Maybe' } }))).toBe('schema_violation');
  });

  test('StartTransaction.req: the design example validates; a wrong type and a bad date-time do not', () => {
    const example = { connectorId: 1, idTag: '04A2B3C4D5E6F7', meterStart: 1200, timestamp: '2026-11-24T10:00:03Z' };
    expect(reasonOf(validators.validate('ocpp1.6', 'StartTransaction', 'req', example))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'StartTransaction', 'req', { ...example, reservationId: 7 }))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'StartTransaction', 'req', { ...example, meterStart: '1200' }))).toBe(
      'schema_violation',
    );
    expect(reasonOf(validators.validate('ocpp1.6', 'StartTransaction', 'req', { ...example, timestamp: 'yesterday' }))).toBe(
      'schema_violation',
    );
  });

  test('StopTransaction.req accepts the unit "Celsius" as well as the schema\'s own misspelling "Celcius"', () => {
    const stop = (unit: string) => ({
      transactionId: 42,
      idTag: '04A2B3C4D5E6F7',
      meterStop: 15342,
      timestamp: '2026-11-24T11:00:00Z',
      reason: 'Local',
      transactionData: [{ timestamp: '2026-11-24T11:00:00Z', sampledValue: [sampledValue16(unit)] }],
    });
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', stop('Celsius')))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', stop('Celcius')))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', stop('Kelvin')))).toBe('schema_violation');
    const { meterStop: _dropped, ...withoutMeterStop } = stop('Celsius');
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', withoutMeterStop))).toBe('schema_violation');
  });

  test('the Celsius widening happens in memory: the vendored StopTransaction.json still lists only "Celcius"', () => {
    const file = readFileSync(path.join(DEFAULT_SCHEMA_DIR, 'vendor/ocpp16/schemas/StopTransaction.json'), 'utf8');
    expect(file).toContain('"Celcius"');
    expect(file).not.toContain('"Celsius"');
    const schema = JSON.parse(file) as unknown;
    expect(acceptBothCelsiusSpellings(schema)).toBe(1);
    expect(JSON.stringify(schema)).toContain('"Celcius","Fahrenheit","Percent","Celsius"]');
    acceptErrataUnits(schema);
    expect(JSON.stringify(validators.schema('ocpp1.6', 'StopTransaction', 'req'))).toBe(JSON.stringify(schema));
    // MeterValues.json already lists both spellings: nothing to widen.
    const meterValues = JSON.parse(
      readFileSync(path.join(DEFAULT_SCHEMA_DIR, 'vendor/ocpp16/schemas/MeterValues.json'), 'utf8'),
    ) as unknown;
    expect(acceptBothCelsiusSpellings(meterValues)).toBe(0);
  });

  test('MeterValues.req: both spellings, and meterValue entries need a timestamp', () => {
    const meterValues = (unit: string) => ({
      connectorId: 1,
      transactionId: 42,
      meterValue: [{ timestamp: '2026-11-24T10:30:00Z', sampledValue: [{ value: '5400', unit: 'Wh' }, sampledValue16(unit)] }],
    });
    expect(reasonOf(validators.validate('ocpp1.6', 'MeterValues', 'req', meterValues('Celsius')))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'MeterValues', 'req', meterValues('Celcius')))).toBe('valid');
    const bad = { connectorId: 1, meterValue: [{ sampledValue: [{ value: '5400' }] }] };
    const error = validators.validate('ocpp1.6', 'MeterValues', 'req', bad);
    expect(error?.reason).toBe('schema_violation');
    expect(error?.message).toMatch(/: \/meterValue\/0 required$/);
  });

  test('MeterValues.req and StopTransaction.req accept the unit "Hertz" of errata sheet v4.0 §3.84 for Frequency', () => {
    const frequency = (unit: string) => ({ value: '50.01', measurand: 'Frequency', unit });
    const meterValues = (unit: string) => ({
      connectorId: 1,
      meterValue: [{ timestamp: '2026-11-24T10:30:00Z', sampledValue: [frequency(unit)] }],
    });
    const stop = (unit: string) => ({
      idTag: '04A2B3C4D5E6F7',
      meterStop: 15342,
      timestamp: '2026-11-24T11:00:00Z',
      transactionId: 42,
      transactionData: [{ timestamp: '2026-11-24T11:00:00Z', sampledValue: [frequency(unit)] }],
    });
    expect(reasonOf(validators.validate('ocpp1.6', 'MeterValues', 'req', meterValues('Hertz')))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', stop('Hertz')))).toBe('valid');
    // "Hz" is in no OCA document: still refused, with the pointer of the unit and the rule.
    const error = validators.validate('ocpp1.6', 'MeterValues', 'req', meterValues('Hz'));
    expect(error).toMatchObject({ reason: 'schema_violation', pointer: '/meterValue/0/sampledValue/0/unit', keyword: 'enum' });
    expect(reasonOf(validators.validate('ocpp1.6', 'StopTransaction', 'req', stop('Hz')))).toBe('schema_violation');
  });

  test('the errata units are added in memory to every UnitOfMeasure enum, once; the vendored files lack them', () => {
    for (const name of ['MeterValues.json', 'StopTransaction.json']) {
      const file = readFileSync(path.join(DEFAULT_SCHEMA_DIR, 'vendor/ocpp16/schemas', name), 'utf8');
      expect(file).not.toContain('Hertz');
      const schema = JSON.parse(file) as unknown;
      expect(acceptErrataUnits(schema)).toBe(1);
      expect(acceptErrataUnits(schema)).toBe(0);
      expect(JSON.stringify(schema)).toContain('"Percent","Hertz"]');
    }
    // Other enums (Measurand, ReadingContext…) are left alone.
    const schema = validators.schema('ocpp1.6', 'MeterValues', 'req') as { properties: Record<string, unknown> };
    const sampled = JSON.stringify(schema.properties.meterValue);
    expect(sampled.match(/Hertz/g)).toHaveLength(1);
  });

  test('a security-extension message (draft-06) validates alongside the draft-04 core', () => {
    const ok = { type: 'FirmwareUpdated', timestamp: '2026-11-24T10:00:00Z' };
    expect(reasonOf(validators.validate('ocpp1.6', 'SecurityEventNotification', 'req', ok))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp1.6', 'SecurityEventNotification', 'req', { type: 'FirmwareUpdated' }))).toBe(
      'schema_violation',
    );
  });
});

describe('OCPP 2.0.1', () => {
  const idToken = { idToken: '04A2B3C4D5E6F7', type: 'ISO14443' };

  test('Authorize.req: idToken with a type from IdTokenEnumType; customData is open', () => {
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'req', { idToken }))).toBe('valid');
    const withCustomData = { idToken, customData: { vendorId: 'com.example', anything: { nested: true } } };
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'req', withCustomData))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'req', { idToken: { ...idToken, type: 'RFID' } }))).toBe(
      'schema_violation',
    );
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'req', { idToken: { idToken: 'A' } }))).toBe(
      'schema_violation',
    );
  });

  test('Authorize.conf: idTokenInfo.status is required', () => {
    const ok = { idTokenInfo: { status: 'Accepted', groupIdToken: { idToken: 'GROUP-1', type: 'Central' } } };
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'conf', ok))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Authorize', 'conf', { idTokenInfo: {} }))).toBe('schema_violation');
  });

  test('TransactionEvent.req: a Started event validates; an unknown eventType and a missing transactionInfo do not', () => {
    const started = {
      eventType: 'Started',
      timestamp: '2026-11-24T10:00:03Z',
      triggerReason: 'Authorized',
      seqNo: 0,
      transactionInfo: { transactionId: 'TX-0001', chargingState: 'EVConnected' },
      idToken,
      evse: { id: 1, connectorId: 1 },
      meterValue: [
        {
          timestamp: '2026-11-24T10:00:03Z',
          sampledValue: [{ value: 1200, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } }],
        },
      ],
    };
    expect(reasonOf(validators.validate('ocpp2.0.1', 'TransactionEvent', 'req', started))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'TransactionEvent', 'req', { ...started, eventType: 'Begun' }))).toBe(
      'schema_violation',
    );
    const { transactionInfo: _dropped, ...withoutInfo } = started;
    expect(reasonOf(validators.validate('ocpp2.0.1', 'TransactionEvent', 'req', withoutInfo))).toBe('schema_violation');
  });

  test('MeterValues.req: evseId and at least one meterValue', () => {
    const ok = { evseId: 1, meterValue: [{ timestamp: '2026-11-24T10:30:00Z', sampledValue: [{ value: 21.5 }] }] };
    expect(reasonOf(validators.validate('ocpp2.0.1', 'MeterValues', 'req', ok))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'MeterValues', 'req', { evseId: 1, meterValue: [] }))).toBe(
      'schema_violation',
    );
    expect(reasonOf(validators.validate('ocpp2.0.1', 'MeterValues', 'req', { ...ok, evseId: 'one' }))).toBe('schema_violation');
  });
});

describe('OCPP 2.0.1 Get15118EVCertificate: EXI lengths of OCPP 2.1 (the 5600 of the 2.0.1 schemas is too small)', () => {
  const base64 = (length: number) => 'A'.repeat(length);
  const request = (exiRequest: string) => ({ iso15118SchemaVersion: 'urn:iso:15118:2:2013:MsgDef', action: 'Install', exiRequest });
  const response = (exiResponse: string) => ({ status: 'Accepted', exiResponse });

  test('a 7500-character CertificateInstallationRes (the size seen in the field) is valid', () => {
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'conf', response(base64(7500))))).toBe('valid');
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'req', request(base64(7500))))).toBe('valid');
  });

  test('exiResponse is valid up to 17000 characters and exiRequest up to 11000, one more is a schema violation', () => {
    expect(EXI_MAX_LENGTH).toEqual({ exiRequest: 11000, exiResponse: 17000 });
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'conf', response(base64(17000))))).toBe('valid');
    expect(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'conf', response(base64(17001)))).toMatchObject({
      reason: 'schema_violation',
      pointer: '/exiResponse',
      keyword: 'maxLength',
    });
    expect(reasonOf(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'req', request(base64(11000))))).toBe('valid');
    expect(validators.validate('ocpp2.0.1', 'Get15118EVCertificate', 'req', request(base64(11001)))).toMatchObject({
      reason: 'schema_violation',
      pointer: '/exiRequest',
      keyword: 'maxLength',
    });
  });

  test('the lengths are raised in memory: the vendored files still say 5600', () => {
    for (const name of ['Get15118EVCertificateRequest.json', 'Get15118EVCertificateResponse.json']) {
      const file = readFileSync(path.join(DEFAULT_SCHEMA_DIR, 'vendor/ocpp201/schemas', name), 'utf8');
      expect(file).toContain('"maxLength": 5600');
      const schema = JSON.parse(file) as unknown;
      expect(raiseExiLengths(schema)).toBe(1);
      expect(raiseExiLengths(schema)).toBe(0);
    }
  });
});

describe('schema_violation details', () => {
  test('name the instance path and the keyword, never the value', () => {
    const error = validators.validate('ocpp1.6', 'Authorize', 'req', { idTag: '04A2B3C4D5E6F7-TOO-LONG-FOR-1.6' });
    expect(error?.message).toBe('payload does not match the official schema: /idTag maxLength');
    expect(error?.message).not.toContain('04A2B3C4D5E6F7');
    const root = validators.validate('ocpp1.6', 'Authorize', 'req', { idTag: 'A', '04A2B3C4D5E6F7': true });
    expect(root?.message).toBe('payload does not match the official schema: / additionalProperties');
  });
});
