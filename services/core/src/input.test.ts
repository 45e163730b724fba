import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INPUT_REASONS } from './errors';
import { REFERENCE } from './__fixtures__/envelopes';
import { createInputParser, DEFAULT_MAX_BYTES, type InputParser, type ParseResult } from './input';

const ID_TAG = '04A2B3C4D5E6F7';
const EXAMPLES = path.join(REFERENCE, 'ocpi221', 'examples');

/** The design §2 example, verbatim. */
const DESIGN_EXAMPLE = `{ "tenant": "acme-cpo", "source": "ocpp1.6", "stationId": "CP-0042",
  "receivedAt": "2026-11-24T10:00:03.120Z",
  "action": "StartTransaction",
  "frame": [2, "19223201", "StartTransaction", {"connectorId": 1, "idTag": "04A2B3C4D5E6F7", "meterStart": 1200, "timestamp": "2026-11-24T10:00:03Z"}] }`;

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ tenant: 'acme-cpo', stationId: 'CP-0042', receivedAt: '2026-11-24T10:00:03.120Z', ...fields });
}

const CDR = {
  country_code: 'BE',
  party_id: 'BEC',
  id: '12345',
  start_date_time: '2015-06-29T21:39:09Z',
  end_date_time: '2015-06-29T23:37:32Z',
  cdr_token: { country_code: 'DE', party_id: 'TNM', uid: ID_TAG, type: 'RFID', contract_id: 'DE8ACC12E46L89' },
  auth_method: 'WHITELIST',
  cdr_location: {
    id: 'LOC1',
    address: 'F.Rooseveltlaan 3A',
    city: 'Gent',
    postal_code: '9000',
    country: 'BEL',
    coordinates: { latitude: '51.047599', longitude: '3.729944' },
    evse_uid: '3256',
    evse_id: 'BE*BEC*E041503003',
    connector_id: '1',
    connector_standard: 'IEC_62196_T2',
    connector_format: 'SOCKET',
    connector_power_type: 'AC_1_PHASE',
  },
  currency: 'EUR',
  charging_periods: [{ start_date_time: '2015-06-29T21:39:09Z', dimensions: [{ type: 'TIME', volume: 1.973 }] }],
  total_cost: { excl_vat: 4, incl_vat: 4.4 },
  total_energy: 15.342,
  total_time: 1.973,
  last_updated: '2015-06-29T22:01:13Z',
};

let parser: InputParser;
beforeAll(() => {
  parser = createInputParser();
});

function reasonOf(result: ParseResult): string {
  return result.ok ? 'ok' : result.error.reason;
}

describe('parse', () => {
  test('the design example parses to a validated CALL envelope', () => {
    const result = parser.parse(DESIGN_EXAMPLE);
    expect(result).toEqual({
      ok: true,
      envelope: {
        tenant: 'acme-cpo',
        source: 'ocpp1.6',
        stationId: 'CP-0042',
        receivedAt: '2026-11-24T10:00:03.120Z',
        receivedAtMs: Date.UTC(2026, 10, 24, 10, 0, 3, 120),
        action: 'StartTransaction',
        messageType: 'CALL',
        messageId: '19223201',
        direction: 'req',
        payload: { connectorId: 1, idTag: ID_TAG, meterStart: 1200, timestamp: '2026-11-24T10:00:03Z' },
      },
    });
    expect(parser.parse(Buffer.from(DESIGN_EXAMPLE))).toEqual(result);
  });

  test('a CALLRESULT Authorize.conf is validated against AuthorizeResponse.json with the action from the envelope', () => {
    const conf = (idTagInfo: unknown) => record({ source: 'ocpp1.6', action: 'Authorize', frame: [3, 'm-1', { idTagInfo }] });
    const result = parser.parse(conf({ status: 'Accepted', parentIdTag: 'PARENT-0001' }));
    expect(result.ok && 'envelope' in result && result.envelope).toMatchObject({ action: 'Authorize', messageType: 'CALLRESULT', direction: 'conf' });
    // The Authorize.req shape is not a valid Authorize.conf.
    const asRequest = record({ source: 'ocpp1.6', action: 'Authorize', frame: [3, 'm-1', { idTag: ID_TAG }] });
    expect(reasonOf(parser.parse(asRequest))).toBe('schema_violation');
    expect(reasonOf(parser.parse(conf({ status: 'Accepted', parentIdTag: 'P'.repeat(21) })))).toBe('schema_violation');
  });

  test('a 2.0.1 Authorize.conf validates too', () => {
    const conf = record({ source: 'ocpp2.0.1', action: 'Authorize', frame: [3, 'm-1', { idTokenInfo: { status: 'Accepted' } }] });
    expect(reasonOf(parser.parse(conf))).toBe('ok');
  });

  test('CALLERROR payloads are not validated, but a named action must exist', () => {
    const callError = (action: string | undefined) =>
      record({ source: 'ocpp1.6', action, frame: [4, 'm-2', 'GenericError', 'text', { anything: ['goes'] }] });
    expect(reasonOf(parser.parse(callError('StartTransaction')))).toBe('ok');
    expect(reasonOf(parser.parse(callError(undefined)))).toBe('ok');
    expect(reasonOf(parser.parse(callError('Teleport')))).toBe('unknown_action');
  });

  test('StopTransaction with "Celsius" and with "Celcius" both parse', () => {
    for (const unit of ['Celsius', 'Celcius']) {
      const payload = {
        transactionId: 42,
        meterStop: 15342,
        timestamp: '2026-11-24T11:00:00Z',
        transactionData: [{ timestamp: '2026-11-24T11:00:00Z', sampledValue: [{ value: '21.5', measurand: 'Temperature', unit }] }],
      };
      expect(reasonOf(parser.parse(record({ source: 'ocpp1.6', frame: [2, 'm-3', 'StopTransaction', payload] })))).toBe('ok');
    }
  });

  test('an OCPI CDR parses; without a required field it is a schema_violation', () => {
    expect(reasonOf(parser.parse(JSON.stringify({ tenant: 't1', source: 'ocpi2.2.1', module: 'cdrs', object: CDR })))).toBe('ok');
    const { total_energy: _dropped, ...incomplete } = CDR;
    const result = parser.parse(JSON.stringify({ tenant: 't1', source: 'ocpi2.2.1', module: 'cdrs', object: incomplete }));
    expect(reasonOf(result)).toBe('schema_violation');
  });

  test('the official OCPI examples parse inside an envelope', () => {
    const files: [string, string][] = [
      ['sessions', 'session_example_1_simple_start.json'],
      ['sessions', 'session_example_2_short_finished.json'],
      ['cdrs', 'cdr_example.json'],
      ['tokens', 'token_example_1_app_user.json'],
      ['tokens', 'token_example_2_full_rfid.json'],
      ['tokens', 'token_put_example.json'],
    ];
    for (const [module, file] of files) {
      const object = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown;
      expect([file, reasonOf(parser.parse(JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module, object })))]).toEqual([
        file,
        'ok',
      ]);
    }
  });
});

describe('input errors', () => {
  const big = 'x'.repeat(DEFAULT_MAX_BYTES);
  const CASES: readonly [reason: string, name: string, raw: string | Buffer][] = [
    ['too_large', 'a string over 256 KiB', `{"tenant":"${big}"}`],
    ['too_large', 'a Buffer over 256 KiB', Buffer.from(`{"tenant":"${big}"}`)],
    ['too_large', 'invalid JSON over the limit (size is checked first)', `{${big}`],
    ['bad_json', 'truncated JSON', DESIGN_EXAMPLE.slice(0, 80)],
    ['bad_json', 'an empty record', ''],
    ['bad_envelope', 'a JSON array', '[1,2]'],
    ['bad_envelope', 'a bad tenant', record({ tenant: 'ACME', source: 'ocpp1.6', frame: [2, 'm', 'Heartbeat', {}] })],
    ['unknown_source', 'source ocpp2.1', record({ source: 'ocpp2.1', frame: [2, 'm', 'Heartbeat', {}] })],
    ['bad_frame', 'a frame object', record({ source: 'ocpp1.6', frame: { id: 'm' } })],
    ['missing_action', 'a CALLRESULT without action', record({ source: 'ocpp1.6', frame: [3, 'm', {}] })],
    [
      'action_mismatch',
      'envelope action ≠ frame action',
      record({ source: 'ocpp1.6', action: 'Authorize', frame: [2, 'm', 'Heartbeat', {}] }),
    ],
    ['unknown_action', 'a CALL of an action 1.6 lacks', record({ source: 'ocpp1.6', frame: [2, 'm', 'TransactionEvent', {}] })],
    ['unknown_action', 'a CALLRESULT of an unknown action', record({ source: 'ocpp2.0.1', action: 'Teleport', frame: [3, 'm', {}] })],
    ['unknown_module', 'OCPI tariffs', JSON.stringify({ tenant: 't', source: 'ocpi2.2.1', module: 'tariffs', object: {} })],
    [
      'schema_violation',
      'a StartTransaction with a 21-character idTag',
      record({ source: 'ocpp1.6', frame: [2, 'm', 'StartTransaction', { connectorId: 1, idTag: `${ID_TAG}XXXXXXX`, meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }] }),
    ],
    ['bad_unicode', 'an idTag with a lone surrogate escape', record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag: '04A2\ud800' }] })],
  ];

  test.each(CASES)('%s: %s', (reason, _name, raw) => {
    expect(reasonOf(parser.parse(raw))).toBe(reason);
  });

  // Raised where numeric fields are read (not by the parser); listed so a new parser reason cannot go untested.
  const RAISED_AFTER_PARSING = ['bad_number', 'number_out_of_range'];

  test('every input reason code of the error table is reachable', () => {
    const reached = new Set(CASES.map(([reason]) => reason));
    expect([...INPUT_REASONS].filter((r) => !RAISED_AFTER_PARSING.includes(r)).sort()).toEqual([...reached].sort());
  });

  test.each(CASES)('%s: %s names a pointer into the record and the rule', (_reason, _name, raw) => {
    const result = parser.parse(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(typeof result.error.pointer).toBe('string');
    expect(result.error.pointer).toMatch(/^(?:\/[A-Za-z0-9_]+)*$/);
    expect(result.error.keyword).toMatch(/^[A-Za-z]+$/);
  });

  test.each([
    ['a CALL payload', record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag: 'X'.repeat(21) }] }), '/frame/3/idTag', 'maxLength'],
    ['a CALL payload root', record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', {}] }), '/frame/3', 'required'],
    ['a CALLRESULT payload', record({ source: 'ocpp1.6', action: 'Authorize', frame: [3, 'm', { idTagInfo: { status: 'Maybe' } }] }), '/frame/2/idTagInfo/status', 'enum'],
    ['an OCPI object', JSON.stringify({ tenant: 't', source: 'ocpi2.2.1', module: 'cdrs', object: { ...CDR, cdr_token: { ...CDR.cdr_token, type: 'CARD' } } }), '/object/cdr_token/type', 'enum'],
  ])('a schema violation in %s points into the record: %s (%s)', (_name, raw, pointer, keyword) => {
    const result = parser.parse(raw);
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'schema_violation', pointer, keyword });
    expect(result.ok ? '' : result.error.message).toBe(`payload does not match the official schema: ${pointer} ${keyword}`);
  });

  test('unknown_action points at the action the record names', () => {
    const call = parser.parse(record({ source: 'ocpp1.6', frame: [2, 'm', 'TransactionEvent', {}] }));
    expect(call.ok ? undefined : call.error).toMatchObject({ reason: 'unknown_action', pointer: '/frame/2', keyword: 'enum' });
    const result = parser.parse(record({ source: 'ocpp2.0.1', action: 'Teleport', frame: [3, 'm', {}] }));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'unknown_action', pointer: '/action', keyword: 'enum' });
  });

  test('the size limit counts UTF-8 bytes, not characters', () => {
    const payload = (idTag: string) => record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag }] });
    const ascii = payload('u'.repeat(20));
    const umlauts = payload('ü'.repeat(20)); // same length in characters, 20 bytes more
    const small = createInputParser({ maxBytes: ascii.length + 10 });
    expect(umlauts.length).toBe(ascii.length);
    expect(reasonOf(small.parse(ascii))).toBe('ok');
    expect(reasonOf(small.parse(umlauts))).toBe('too_large');
    expect(reasonOf(small.parse(Buffer.from(umlauts)))).toBe('too_large');
    const exact = createInputParser({ maxBytes: Buffer.byteLength(umlauts) });
    expect(reasonOf(exact.parse(umlauts))).toBe('ok');
  });

  test('errors are plain AmpsealErrors: not retriable, with a stable code', () => {
    const result = parser.parse('{');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code: 'AMPSEAL_ERR_BAD_JSON', reason: 'bad_json', retriable: false });
      expect(result.error.cause).toBeUndefined();
    }
  });
});

describe('lone surrogates are quarantined as bad_unicode, never normalized into one subject', () => {
  const authorize = (idTag: string) => record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag }] });
  const failure = (raw: string | Buffer) => {
    const result = parser.parse(raw);
    return result.ok ? { reason: 'ok' } : { reason: result.error.reason, pointer: result.error.pointer, keyword: result.error.keyword };
  };
  const BAD_IDTAG = { reason: 'bad_unicode', pointer: '/frame/3/idTag', keyword: 'wellFormed' };

  test('two idTags that differ only in a lone surrogate are both refused, so they cannot merge into one U+FFFD value', () => {
    // JSON.stringify writes a lone surrogate as the escape \udXXX (ES2019 well-formed JSON.stringify).
    expect(authorize('04A2B3\ud800')).toContain('"04A2B3\\ud800"');
    expect(failure(authorize('04A2B3\ud800'))).toEqual(BAD_IDTAG);
    expect(failure(authorize('04A2B3\udbff'))).toEqual(BAD_IDTAG);
  });

  test.each([
    ['a high surrogate, upper case', '"04A2\\uD83D"'],
    ['a low surrogate alone', '"04A2\\udc00"'],
    ['a low surrogate before a high one', '"\\ude00\\ud83d"'],
    ['a high surrogate at the end after a pair', '"\\ud83d\\ude00\\ud83d"'],
  ])('%s is refused, as a string and as bytes', (_name, escaped) => {
    const raw = authorize('PLACEHOLDER').replace('"PLACEHOLDER"', escaped);
    expect(failure(raw)).toEqual(BAD_IDTAG);
    expect(failure(Buffer.from(raw))).toEqual(BAD_IDTAG);
  });

  test.each([
    ['a surrogate pair (an emoji) as escapes', '"CARD\\ud83d\\ude00"'],
    ['an emoji in UTF-8', '"CARD\u{1F600}"'],
    ['an escaped backslash followed by the letters ud800', '"CARD\\\\ud800"'],
    ['a BMP escape that is no surrogate', '"CARD\\u00e9"'],
  ])('%s is well-formed and parses', (_name, escaped) => {
    const raw = authorize('PLACEHOLDER').replace('"PLACEHOLDER"', escaped);
    expect(failure(raw)).toEqual({ reason: 'ok' });
    expect(failure(Buffer.from(raw))).toEqual({ reason: 'ok' });
  });

  test('a raw lone surrogate in string input (no escape in the text) is refused too', () => {
    const raw = `{"tenant":"acme-cpo","source":"ocpp1.6","stationId":"CP-1","receivedAt":"2026-11-24T10:00:03Z","frame":[2,"m","Authorize",{"idTag":"04A2\ud800"}]}`;
    expect(raw).not.toContain('\\u');
    expect(failure(raw)).toEqual(BAD_IDTAG);
  });

  test.each([
    ['the station id', record({ source: 'ocpp1.6', stationId: 'CP-\udc01', frame: [2, 'm', 'Heartbeat', {}] }), '/stationId'],
    ['a fleet driver id', record({ source: 'ocpp1.6', fleet: { driverId: 'D\ud800' }, frame: [2, 'm', 'Heartbeat', {}] }), '/fleet/driverId'],
    [
      'a 2.0.1 idToken in an array',
      record({ source: 'ocpp2.0.1', frame: [2, 'm', 'Authorize', { idToken: { idToken: 'A', type: 'Central', additionalInfo: [{ additionalIdToken: 'X\ud800', type: 'T' }] } }] }),
      '/frame/3/idToken/additionalInfo/0/additionalIdToken',
    ],
    ['a CALLRESULT payload', record({ source: 'ocpp1.6', action: 'Authorize', frame: [3, 'm', { idTagInfo: { status: 'Accepted', parentIdTag: 'P\ud800' } }] }), '/frame/2/idTagInfo/parentIdTag'],
    ['a CALLERROR description', record({ source: 'ocpp1.6', frame: [4, 'm', 'InternalError', 'card \ud800', {}] }), '/frame/3'],
    [
      'an OCPI cdr_token.uid',
      JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: { ...CDR, cdr_token: { ...CDR.cdr_token, uid: 'U\ud800' } } }),
      '/object/cdr_token/uid',
    ],
  ])('in %s, the pointer names the string', (_name, raw, pointer) => {
    expect(failure(raw)).toEqual({ reason: 'bad_unicode', pointer, keyword: 'wellFormed' });
  });

  test('under a property the schema does not declare, the pointer stops at the declared ancestor (the name could be an identifier)', () => {
    const customData = { vendorId: 'com.example', [ID_TAG]: { note: 'x\ud800' } };
    const raw = record({ source: 'ocpp2.0.1', frame: [2, 'm', 'Authorize', { idToken: { idToken: 'A', type: 'Central' }, customData }] });
    expect(failure(raw)).toEqual({ reason: 'bad_unicode', pointer: '/frame/3/customData', keyword: 'wellFormed' });
    const extension = { ...CDR, [`x_${ID_TAG}`]: ['ok', 'y\udfff'] };
    expect(failure(JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: extension }))).toEqual({
      reason: 'bad_unicode',
      pointer: '/object',
      keyword: 'wellFormed',
    });
  });

  test('a property name with a lone surrogate is reported as its object, without the name', () => {
    const raw = record({ source: 'ocpp2.0.1', frame: [2, 'm', 'Authorize', { idToken: { idToken: 'A', type: 'Central' }, customData: { vendorId: 'v', 'k\ud800': 1 } }] });
    expect(failure(raw)).toEqual({ reason: 'bad_unicode', pointer: '/frame/3/customData', keyword: 'wellFormed' });
  });

  test('the message names the pointer and never the value', () => {
    const result = parser.parse(authorize(`${ID_TAG}\ud800`));
    expect(result.ok ? '' : result.error.message).toBe('a string holds a lone surrogate: /frame/3/idTag');
  });
});

describe('OCPI PATCH bodies (envelope method "PATCH") are validated as partial objects', () => {
  const ocpiRecord = (module: string, object: unknown, method?: string) =>
    JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module, object, ...(method === undefined ? {} : { method }) });
  const SESSION_PATCH = { kwh: 15.5, status: 'COMPLETED', end_date_time: '2026-11-24T11:00:00Z', last_updated: '2026-11-24T11:00:01Z' };

  test('a Session PATCH with a few fields and last_updated parses, marked as a patch', () => {
    const result = parser.parse(ocpiRecord('sessions', SESSION_PATCH, 'PATCH'));
    expect(result.ok && 'envelope' in result && result.envelope).toMatchObject({ source: 'ocpi2.2.1', module: 'sessions', patch: true, object: SESSION_PATCH });
  });

  test('a Token PATCH (mod_tokens: e.g. only valid and last_updated) parses', () => {
    const result = parser.parse(ocpiRecord('tokens', { valid: false, last_updated: '2026-11-24T11:00:00Z' }, 'PATCH'));
    expect(result.ok && 'envelope' in result && result.envelope).toMatchObject({ module: 'tokens', patch: true });
  });

  test('the same partial object sent as a full object (no method, or PUT) is a schema violation', () => {
    for (const method of [undefined, 'PUT']) {
      const result = parser.parse(ocpiRecord('sessions', SESSION_PATCH, method));
      expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'schema_violation', pointer: '/object', keyword: 'required' });
    }
  });

  test('a PATCH without last_updated is a schema violation (OCPI: the PATCH SHALL contain last_updated)', () => {
    const { last_updated: _dropped, ...withoutLastUpdated } = SESSION_PATCH;
    const result = parser.parse(ocpiRecord('sessions', withoutLastUpdated, 'PATCH'));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'schema_violation', pointer: '/object', keyword: 'required' });
  });

  test('a field present in a PATCH is validated whole: a cdr_token without uid fails at its pointer', () => {
    const patch = { cdr_token: { country_code: 'DE', party_id: 'TNM', type: 'RFID', contract_id: 'DE8ACC12E46L89' }, last_updated: '2026-11-24T11:00:00Z' };
    const result = parser.parse(ocpiRecord('sessions', patch, 'PATCH'));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'schema_violation', pointer: '/object/cdr_token', keyword: 'required' });
  });

  test('a CDR cannot be patched (mod_cdrs): bad_envelope at /method', () => {
    const result = parser.parse(ocpiRecord('cdrs', CDR, 'PATCH'));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'bad_envelope', pointer: '/method', keyword: 'enum' });
    expect(reasonOf(parser.parse(ocpiRecord('cdrs', CDR, 'POST')))).toBe('ok');
  });
});

describe('OCPP 2.0.1 Get15118EVCertificate with a real-sized EXI stream', () => {
  const conf = (length: number) =>
    record({ source: 'ocpp2.0.1', action: 'Get15118EVCertificate', frame: [3, 'm', { status: 'Accepted', exiResponse: 'A'.repeat(length) }] });

  test('a 17000-character exiResponse parses; one more is a schema violation at its pointer', () => {
    expect(reasonOf(parser.parse(conf(17000)))).toBe('ok');
    const result = parser.parse(conf(17001));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'schema_violation', pointer: '/frame/2/exiResponse', keyword: 'maxLength' });
  });

  test('the record-size limit still bounds the whole record', () => {
    const small = createInputParser({ maxBytes: 16 * 1024 });
    const result = small.parse(conf(17000));
    expect(result.ok ? undefined : result.error).toMatchObject({ reason: 'too_large', pointer: '', keyword: 'maxBytes' });
  });
});

describe('error messages never contain the input', () => {
  const INVALID_RECORDS: readonly string[] = [
    // bad JSON around the identifier: V8's own SyntaxError message would quote it.
    `{"tenant":"acme-cpo","frame":[2,"m","Authorize",{"idTag":"${ID_TAG}"`,
    `{"idTag": ${ID_TAG}}`,
    // the identifier where a tenant, station, source, action or message id is expected
    record({ tenant: ID_TAG, source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag: ID_TAG }] }),
    record({ source: ID_TAG, frame: [2, 'm', 'Authorize', { idTag: ID_TAG }] }),
    record({ source: 'ocpp1.6', stationId: ID_TAG.repeat(4), frame: [2, 'm', 'Authorize', { idTag: ID_TAG }] }),
    record({ source: 'ocpp1.6', frame: [2, ID_TAG.repeat(3), 'Authorize', { idTag: ID_TAG }] }),
    record({ source: 'ocpp1.6', frame: [2, 'm', ID_TAG, { idTag: ID_TAG }] }),
    record({ source: 'ocpp1.6', action: ID_TAG, frame: [2, 'm', 'Authorize', { idTag: ID_TAG }] }),
    record({ source: 'ocpp1.6', action: ID_TAG, frame: [3, 'm', { idTagInfo: { status: 'Accepted' } }] }),
    record({ source: 'ocpp1.6', frame: [9, 'm', ID_TAG] }),
    JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: ID_TAG, object: {} }),
    // schema violations of the identifier itself, beside it, and as a property name
    record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag: ID_TAG.repeat(2) }] }),
    record({ source: 'ocpp1.6', frame: [2, 'm', 'Authorize', { idTag: ID_TAG, [ID_TAG]: ID_TAG }] }),
    record({ source: 'ocpp1.6', frame: [2, 'm', 'StartTransaction', { connectorId: ID_TAG, idTag: ID_TAG, meterStart: 0, timestamp: ID_TAG }] }),
    record({ source: 'ocpp2.0.1', frame: [2, 'm', 'Authorize', { idToken: { idToken: ID_TAG, type: ID_TAG } }] }),
    JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: { ...CDR, cdr_token: { uid: ID_TAG } } }),
    JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'tokens', object: { uid: ID_TAG.repeat(3), last_updated: ID_TAG } }),
  ];

  test.each(INVALID_RECORDS.map((raw, i) => [i, raw]))('invalid record #%d', (_i, raw) => {
    const result = parser.parse(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).not.toContain(ID_TAG);
    expect(result.error.message).not.toContain(ID_TAG.slice(0, 8));
    expect(String(result.error.stack)).not.toContain(ID_TAG);
    expect(JSON.stringify(result.error)).not.toContain(ID_TAG);
  });
});

describe('robustness', () => {
  test('never throws, whatever the bytes', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pieces = ['{', '}', '[', ']', '"', ':', ',', '2', '3', '4', 'null', 'true', '"tenant"', '"acme"', '"source"',
      '"ocpp1.6"', '"ocpi2.2.1"', '"frame"', '"action"', '"module"', '"object"', '"cdrs"', '"Authorize"', '"\\u0000"', 'é'];
    for (let i = 0; i < 5000; i++) {
      let raw = '';
      const length = Math.floor(random() * 40);
      for (let j = 0; j < length; j++) raw += pieces[Math.floor(random() * pieces.length)];
      expect(() => parser.parse(raw)).not.toThrow();
      expect(() => parser.parse(Buffer.from(raw))).not.toThrow();
    }
  });

  test('prototype-looking names are ordinary unknown values', () => {
    for (const action of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(reasonOf(parser.parse(record({ source: 'ocpp1.6', frame: [2, 'm', action, {}] })))).toBe('unknown_action');
    }
    const polluted = '{"__proto__":{"ok":true},"tenant":"acme-cpo","source":"ocpp1.6","stationId":"S","receivedAt":"2026-11-24T10:00:03Z","frame":[2,"m","Heartbeat",{}]}';
    expect(reasonOf(parser.parse(polluted))).toBe('ok');
    expect(({} as Record<string, unknown>).ok).toBeUndefined();
  });

  test('a bad maxBytes is a configuration error', () => {
    expect(() => createInputParser({ maxBytes: 0 })).toThrow(expect.objectContaining({ reason: 'config_invalid' }));
  });
});
