import { AmpsealError } from './errors';
import { type Envelope, type OcpiEnvelope, type OcppEnvelope, parseEnvelope } from './envelope';
import { parseDateTime } from './rules';

const PAYLOAD = { connectorId: 1, idTag: '04A2B3C4D5E6F7', meterStart: 1200, timestamp: '2026-11-24T10:00:03Z' };

/** The design §2 example. */
function ocpp(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenant: 'acme-cpo',
    source: 'ocpp1.6',
    stationId: 'CP-0042',
    receivedAt: '2026-11-24T10:00:03.120Z',
    action: 'StartTransaction',
    frame: [2, '19223201', 'StartTransaction', PAYLOAD],
    ...overrides,
  };
}

function ocpi(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: { id: 'CDR-1' }, ...overrides };
}

function ok(value: unknown): Envelope {
  const result = parseEnvelope(value);
  if (result instanceof AmpsealError) throw new Error(`expected an envelope, got ${result.reason}`);
  if (!('source' in result)) throw new Error('expected an envelope, got a Location notice');
  return result;
}

function reasonOf(value: unknown): string {
  const result = parseEnvelope(value);
  return result instanceof AmpsealError ? result.reason : 'ok';
}

/** Reason, pointer and rule of an error, as the quarantine record carries them. */
function failureOf(value: unknown): { reason: string; pointer?: string; keyword?: string } {
  const result = parseEnvelope(value);
  if (!(result instanceof AmpsealError)) return { reason: 'ok' };
  return { reason: result.reason, pointer: result.pointer, keyword: result.keyword };
}

describe('OCPP envelope', () => {
  test('the design example is a CALL with direction req and its payload', () => {
    expect(ok(ocpp())).toEqual({
      tenant: 'acme-cpo',
      source: 'ocpp1.6',
      stationId: 'CP-0042',
      receivedAt: '2026-11-24T10:00:03.120Z',
      receivedAtMs: Date.UTC(2026, 10, 24, 10, 0, 3, 120),
      action: 'StartTransaction',
      messageType: 'CALL',
      messageId: '19223201',
      direction: 'req',
      payload: PAYLOAD,
    } satisfies OcppEnvelope);
  });

  test('a CALL takes its action from the frame when the envelope names none', () => {
    const { action: _omitted, ...withoutAction } = ocpp();
    expect(ok(withoutAction)).toMatchObject({ action: 'StartTransaction', direction: 'req' });
  });

  test('a CALL whose envelope action differs from the frame action is action_mismatch', () => {
    expect(reasonOf(ocpp({ action: 'StopTransaction' }))).toBe('action_mismatch');
  });

  test('a CALLRESULT takes its action from the envelope, with direction conf', () => {
    const envelope = ok(ocpp({ action: 'Authorize', frame: [3, 'm-1', { idTagInfo: { status: 'Accepted' } }] }));
    expect(envelope).toMatchObject({
      action: 'Authorize',
      messageType: 'CALLRESULT',
      messageId: 'm-1',
      direction: 'conf',
      payload: { idTagInfo: { status: 'Accepted' } },
    });
  });

  test('a CALLRESULT without an envelope action is missing_action', () => {
    expect(reasonOf(ocpp({ action: undefined, frame: [3, 'm-1', {}] }))).toBe('missing_action');
    expect(reasonOf(ocpp({ action: '', frame: [3, 'm-1', {}] }))).toBe('missing_action');
  });

  test('a CALLERROR carries its error code only: no direction, no payload, no description', () => {
    const envelope = ok(ocpp({ frame: [4, 'm-2', 'FormationViolation', 'idTag 04A2B3C4D5E6F7 rejected', { idTag: 'x' }] }));
    expect(envelope).toEqual({
      tenant: 'acme-cpo',
      source: 'ocpp1.6',
      stationId: 'CP-0042',
      receivedAt: '2026-11-24T10:00:03.120Z',
      receivedAtMs: Date.UTC(2026, 10, 24, 10, 0, 3, 120),
      action: 'StartTransaction',
      messageType: 'CALLERROR',
      messageId: 'm-2',
      errorCode: 'FormationViolation',
    });
    expect(ok(ocpp({ action: undefined, frame: [4, 'm-2', 'InternalError', '', {}] }))).toMatchObject({ action: '' });
  });

  test.each([
    ['not an array', { frame: 'x' }, '/frame', 'type'],
    ['missing', { frame: undefined }, '/frame', 'required'],
    ['empty', { frame: [] }, '/frame/1', 'required'],
    ['unknown message type 5', { frame: [5, 'm', 'Heartbeat', {}] }, '/frame/0', 'enum'],
    ['message type as a string', { frame: ['2', 'm', 'Heartbeat', {}] }, '/frame/0', 'enum'],
    ['numeric message id', { frame: [2, 19223201, 'StartTransaction', PAYLOAD] }, '/frame/1', 'type'],
    ['empty message id', { frame: [2, '', 'StartTransaction', PAYLOAD] }, '/frame/1', 'minLength'],
    ['message id over 36 characters', { frame: [2, 'm'.repeat(37), 'StartTransaction', PAYLOAD] }, '/frame/1', 'maxLength'],
    ['CALL without payload', { frame: [2, 'm', 'StartTransaction'] }, '/frame', 'items'],
    ['CALL with an array payload', { frame: [2, 'm', 'StartTransaction', []] }, '/frame/3', 'type'],
    ['CALL with a null payload', { frame: [2, 'm', 'StartTransaction', null] }, '/frame/3', 'type'],
    ['CALL with an extra element', { frame: [2, 'm', 'StartTransaction', PAYLOAD, {}] }, '/frame', 'items'],
    ['CALL with a numeric action', { frame: [2, 'm', 7, PAYLOAD] }, '/frame/2', 'type'],
    ['CALLRESULT with an extra element', { frame: [3, 'm', {}, {}] }, '/frame', 'items'],
    ['CALLRESULT with a string payload', { frame: [3, 'm', 'ok'] }, '/frame/2', 'type'],
    ['CALLERROR without details', { frame: [4, 'm', 'InternalError', 'oops'] }, '/frame', 'items'],
    ['CALLERROR with a numeric code', { frame: [4, 'm', 500, 'oops', {}] }, '/frame/2', 'type'],
    ['CALLERROR with null details', { frame: [4, 'm', 'InternalError', 'oops', null] }, '/frame/4', 'type'],
  ])('a frame that is %s is bad_frame at %s (%s)', (_name, overrides, pointer, keyword) => {
    expect(failureOf(ocpp(overrides))).toEqual({ reason: 'bad_frame', pointer, keyword });
  });

  test.each([
    ['no tenant', { tenant: undefined }, '/tenant', 'required'],
    ['an upper-case tenant', { tenant: 'Acme' }, '/tenant', 'pattern'],
    ['a tenant with a slash', { tenant: 'acme/cpo' }, '/tenant', 'pattern'],
    ['a tenant starting with a hyphen', { tenant: '-acme' }, '/tenant', 'pattern'],
    ['a 64-character tenant', { tenant: 'a'.repeat(64) }, '/tenant', 'pattern'],
    ['a numeric source', { source: 16 }, '/source', 'type'],
    ['no stationId', { stationId: undefined }, '/stationId', 'required'],
    ['an empty stationId', { stationId: '' }, '/stationId', 'minLength'],
    ['a 49-character stationId', { stationId: 'S'.repeat(49) }, '/stationId', 'maxLength'],
    ['no receivedAt', { receivedAt: undefined }, '/receivedAt', 'required'],
    ['a receivedAt without offset', { receivedAt: '2026-11-24T10:00:03' }, '/receivedAt', 'format'],
    ['a receivedAt of February 30', { receivedAt: '2026-02-30T10:00:03Z' }, '/receivedAt', 'format'],
    ['a receivedAt at 24:00', { receivedAt: '2026-11-24T24:00:00Z' }, '/receivedAt', 'format'],
    ['a receivedAt in epoch ms', { receivedAt: 1795514403120 }, '/receivedAt', 'type'],
    ['a numeric action', { action: 7 }, '/action', 'type'],
    ['a fleet that is a string', { fleet: 'F-1' }, '/fleet', 'type'],
    ['a fleet that is null', { fleet: null }, '/fleet', 'type'],
    ['a numeric fleet.vehicleId', { fleet: { vehicleId: 42 } }, '/fleet/vehicleId', 'type'],
    ['an empty fleet.driverId', { fleet: { driverId: '' } }, '/fleet/driverId', 'minLength'],
  ])('an envelope with %s is bad_envelope at %s (%s)', (_name, overrides, pointer, keyword) => {
    expect(failureOf(ocpp(overrides))).toEqual({ reason: 'bad_envelope', pointer, keyword });
  });

  test.each([null, [], 'text', 42, true])('a JSON value that is not an object (%p) is bad_envelope at the root', (value) => {
    expect(failureOf(value)).toEqual({ reason: 'bad_envelope', pointer: '', keyword: 'type' });
  });

  test('action_mismatch and missing_action point at the envelope action', () => {
    expect(failureOf(ocpp({ action: 'StopTransaction' }))).toEqual({ reason: 'action_mismatch', pointer: '/action', keyword: 'const' });
    expect(failureOf(ocpp({ action: undefined, frame: [3, 'm-1', {}] }))).toEqual({
      reason: 'missing_action',
      pointer: '/action',
      keyword: 'required',
    });
  });

  test('limits are inclusive: a 63-character tenant, a 48-character stationId and a 36-character message id pass', () => {
    expect(reasonOf(ocpp({ tenant: `a${'-'.repeat(62)}`, stationId: 'S'.repeat(48), frame: [2, 'm'.repeat(36), 'StartTransaction', PAYLOAD] }))).toBe('ok');
  });

  test('fleet keeps vehicleId and driverId only', () => {
    const envelope = ok(ocpp({ fleet: { vehicleId: 'WVWZZZ1KZAW000001', driverId: 'D-17', note: 'free text' } }));
    expect(envelope.fleet).toEqual({ vehicleId: 'WVWZZZ1KZAW000001', driverId: 'D-17' });
    expect(ok(ocpp({ fleet: {} })).fleet).toEqual({});
    expect('fleet' in ok(ocpp())).toBe(false);
  });

  test('an unknown source is unknown_source', () => {
    expect(failureOf(ocpp({ source: 'ocpp2.1' }))).toEqual({ reason: 'unknown_source', pointer: '/source', keyword: 'enum' });
    expect(reasonOf(ocpp({ source: '' }))).toBe('unknown_source');
  });

  test('ocpp2.0.1 is read like 1.6', () => {
    expect(ok(ocpp({ source: 'ocpp2.0.1', action: undefined, frame: [2, 'a', 'Heartbeat', {}] }))).toMatchObject({
      source: 'ocpp2.0.1',
      action: 'Heartbeat',
    });
  });
});

describe('OCPI envelope', () => {
  test('carries module and object; receivedAt is optional', () => {
    expect(ok(ocpi())).toEqual({
      tenant: 'acme-cpo',
      source: 'ocpi2.2.1',
      module: 'cdrs',
      object: { id: 'CDR-1' },
      patch: false,
    } satisfies OcpiEnvelope);
    expect(ok(ocpi({ receivedAt: '2026-11-24T10:00:03+01:00', fleet: { driverId: 'D-1' } }))).toMatchObject({
      receivedAt: '2026-11-24T10:00:03+01:00',
      receivedAtMs: Date.UTC(2026, 10, 24, 9, 0, 3),
      fleet: { driverId: 'D-1' },
    });
  });

  test.each([
    ['tariffs', 'enum'],
    ['Sessions', 'enum'],
    [undefined, 'required'],
    [3, 'enum'],
  ])('module %p is unknown_module (%s)', (module, keyword) => {
    expect(failureOf(ocpi({ module }))).toEqual({ reason: 'unknown_module', pointer: '/module', keyword });
  });

  test.each([
    ['no object', { object: undefined }, '/object', 'required'],
    ['an array object', { object: [] }, '/object', 'type'],
    ['a bad receivedAt', { receivedAt: 'today' }, '/receivedAt', 'format'],
    ['method DELETE', { module: 'sessions', method: 'DELETE' }, '/method', 'enum'],
    ['method "patch" in lower case', { module: 'sessions', method: 'patch' }, '/method', 'enum'],
    ['a numeric method', { module: 'tokens', method: 1 }, '/method', 'type'],
    ['a CDR PATCH (mod_cdrs: CDRs are never updated)', { module: 'cdrs', method: 'PATCH' }, '/method', 'enum'],
  ])('an OCPI envelope with %s is bad_envelope at %s (%s)', (_name, overrides, pointer, keyword) => {
    expect(failureOf(ocpi(overrides))).toEqual({ reason: 'bad_envelope', pointer, keyword });
  });
});

describe('OCPI envelope method: full object or PATCH', () => {
  test('without method, or with PUT or POST, the object is a full object', () => {
    expect(ok(ocpi({ module: 'sessions' }))).toMatchObject({ module: 'sessions', patch: false });
    expect(ok(ocpi({ module: 'sessions', method: 'PUT' }))).toMatchObject({ patch: false });
    expect(ok(ocpi({ module: 'cdrs', method: 'POST' }))).toMatchObject({ patch: false });
    expect(ok(ocpi({ module: 'tokens', method: 'PUT' }))).toMatchObject({ patch: false });
  });

  test('method PATCH marks a Session or Token object as a patch', () => {
    expect(ok(ocpi({ module: 'sessions', method: 'PATCH' }))).toMatchObject({ module: 'sessions', patch: true });
    expect(ok(ocpi({ module: 'tokens', method: 'PATCH' }))).toMatchObject({ module: 'tokens', patch: true });
  });
});

describe('parseDateTime', () => {
  test.each([
    ['2026-11-24T10:00:03Z', Date.UTC(2026, 10, 24, 10, 0, 3)],
    ['2026-11-24T10:00:03.5-02:30', Date.UTC(2026, 10, 24, 12, 30, 3, 500)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2026-11-24t10:00:03z', Date.UTC(2026, 10, 24, 10, 0, 3)],
  ])('%s is %d', (text, ms) => {
    expect(parseDateTime(text)).toBe(ms);
  });

  test.each(['2025-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-24 10:00:03Z', '2026-11-24T10:00Z', ' 2026-11-24T10:00:03Z'])(
    '%s is refused',
    (text) => {
      expect(parseDateTime(text)).toBeUndefined();
    },
  );
});
