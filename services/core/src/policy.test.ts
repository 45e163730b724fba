import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CATALOG } from './catalog';
import { AmpsealError } from './errors';
import { DEFAULT_POLICY_FILE } from './index';
import { createInputParser } from './input';
import { compilePolicy, parsePolicy } from './policy';
import { Transform } from './transform';
import { ocpi, ocpiExample, ocpp } from './__fixtures__/envelopes';
import { FixedKeyTokenSource } from './__fixtures__/token-source';

const DEFAULT_YAML = readFileSync(DEFAULT_POLICY_FILE, 'utf8');

/** The default policy as a plain object, to edit one key per test. */
function defaults(): Record<string, Record<string, Record<string, unknown>>> {
  return parseYaml(DEFAULT_YAML) as Record<string, Record<string, Record<string, unknown>>>;
}

/** The AmpsealError that compiling `raw` throws (fails the test when it compiles). */
function refusal(raw: unknown): AmpsealError {
  try {
    compilePolicy(raw, CATALOG);
  } catch (err) {
    expect(err).toBeInstanceOf(AmpsealError);
    return err as AmpsealError;
  }
  throw new Error('expected the policy to be refused');
}

describe('the default policy', () => {
  it('compiles against the catalog and names every identifier kind and canonical field', () => {
    const policy = parsePolicy(DEFAULT_YAML, CATALOG);
    expect(policy.analytics.identifiers.size).toBe(12);
    expect(policy.analytics.identifiers.get('uid')).toBe('tokenize');
    expect(policy.analytics.identifiers.get('device')).toBe('drop');
    expect(policy.analytics.fields.get('eventTime')).toEqual({ action: 'generalize', generalizer: { time: 'minute' } });
    expect(policy.analytics.fields.get('postalCode')).toEqual({ action: 'generalize', generalizer: { prefix: 3 } });
    expect(policy.roaming.classes.get('freetext')).toBe('drop');
    expect(policy.roaming.paths.size).toBe(0);
  });

  it('is frozen', () => {
    const policy = parsePolicy(DEFAULT_YAML, CATALOG);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.analytics)).toBe(true);
    expect(Object.isFrozen(policy.roaming)).toBe(true);
  });
});

describe('policy validation names the path that is wrong', () => {
  it('refuses an unknown top-level key', () => {
    const err = refusal({ ...defaults(), analytic: {} });
    expect(err.code).toBe('AMPSEAL_ERR_POLICY_INVALID');
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('policy.analytic: unknown key');
  });

  it('refuses a version other than 1', () => {
    expect(refusal({ ...defaults(), version: 2 }).message).toContain('policy.version: expected 1');
  });

  it('refuses an unknown identifier kind (typo uidd)', () => {
    const raw = defaults();
    raw.analytics!.identifiers!.uidd = 'tokenize';
    expect(refusal(raw).message).toContain('analytics.identifiers.uidd: unknown identifier kind');
  });

  it('refuses `keep` for an analytics identifier: analytics never receives a clear identifier', () => {
    const raw = defaults();
    raw.analytics!.identifiers!.emaid = 'keep';
    expect(refusal(raw).message).toContain('analytics.identifiers.emaid: analytics never receives a clear identifier');
  });

  it('refuses an identifier action other than tokenize or drop', () => {
    const raw = defaults();
    raw.analytics!.identifiers!.uid = 'hash';
    expect(refusal(raw).message).toContain('analytics.identifiers.uid: expected tokenize or drop');
  });

  it('refuses an unknown canonical field (typo eventTme)', () => {
    const raw = defaults();
    raw.analytics!.fields!.eventTme = 'keep';
    expect(refusal(raw).message).toContain('analytics.fields.eventTme: not a field of ChargingSessionEvent');
  });

  it('refuses `tokenize` on a canonical field that is not a link field', () => {
    const raw = defaults();
    raw.analytics!.fields!.stopReason = 'tokenize';
    expect(refusal(raw).message).toContain('analytics.fields.stopReason: only identifiers and link fields are tokenized');
  });

  it('refuses `keep` on a link field (a free-form operational id)', () => {
    const raw = defaults();
    raw.analytics!.fields!.transactionId = 'keep';
    expect(refusal(raw).message).toContain('analytics.fields.transactionId: a free-form operational id reaches analytics only as a link token');
  });

  it.each([
    ['time on postalCode', 'postalCode', { time: 'hour' }, 'analytics.fields.postalCode.generalize.time: time generalization applies to'],
    ['grid on eventTime', 'eventTime', { grid: 0.01 }, 'analytics.fields.eventTime.generalize.grid: grid generalization applies to latitude and longitude'],
    ['prefix on city', 'city', { prefix: 2 }, 'analytics.fields.city.generalize.prefix: prefix generalization applies to postalCode'],
    ['a non-integer prefix', 'postalCode', { prefix: 2.5 }, 'analytics.fields.postalCode.generalize.prefix: expected a whole number'],
    ['a zero prefix', 'postalCode', { prefix: 0 }, 'analytics.fields.postalCode.generalize.prefix: expected a positive number'],
    ['step on a string field', 'stopReason', { step: 5 }, 'analytics.fields.stopReason.generalize.step: step generalization applies to'],
    ['an unknown time granularity', 'eventTime', { time: 'week' }, 'analytics.fields.eventTime.generalize.time: expected one of second, minute, hour, day'],
    ['an unknown generalizer', 'latitude', { round: 2 }, 'analytics.fields.latitude.generalize.round: unknown generalizer'],
    ['two generalizers at once', 'latitude', { grid: 0.1, step: 1 }, 'analytics.fields.latitude.generalize: expected exactly one of'],
  ])('refuses a generalizer on the wrong field or with a bad parameter: %s', (_name, field, generalizer, message) => {
    const raw = defaults();
    raw.analytics!.fields![field] = { generalize: generalizer };
    expect(refusal(raw).message).toContain(message);
  });

  it('refuses a misspelt roaming class', () => {
    const raw = defaults();
    raw.roaming!.classes!.directt = 'keep';
    expect(refusal(raw).message).toContain('roaming.classes.directt: unknown class');
  });

  it('refuses a roaming path override that names no catalog path (cdrs:remarks)', () => {
    const raw = defaults();
    raw.roaming!.paths = { 'cdrs:remarks': 'drop' };
    expect(refusal(raw).message).toContain('roaming.paths.cdrs:remarks: no such field in the OCPI cdrs catalog');
  });

  it('refuses a roaming path override without a known module', () => {
    const raw = defaults();
    raw.roaming!.paths = { 'locations:name': 'drop' };
    expect(refusal(raw).message).toContain('roaming.paths.locations:name: expected <module>:<path>');
  });

  it('accepts a roaming override of a subtree (cdrs:signed_data) and of a single leaf', () => {
    const raw = defaults();
    raw.roaming!.paths = { 'cdrs:signed_data': 'drop', 'sessions:cdr_token.uid': 'keep', 'cdrs:tariffs': 'drop' };
    const policy = compilePolicy(raw, CATALOG);
    expect([...policy.roaming.paths]).toEqual([
      ['cdrs:signed_data', 'drop'],
      ['sessions:cdr_token.uid', 'keep'],
      ['cdrs:tariffs', 'drop'],
    ]);
  });

  it('refuses a prefix of a property name that is no path segment (cdrs:signed)', () => {
    const raw = defaults();
    raw.roaming!.paths = { 'cdrs:signed': 'drop' };
    expect(refusal(raw).message).toContain('roaming.paths.cdrs:signed: no such field');
  });

  it('reports invalid YAML as POLICY_INVALID without echoing its content', () => {
    const secret = 'SECRET-CARD-04A2B3C4D5E6F7';
    let caught: unknown;
    try {
      parsePolicy(`version: 1\nanalytics:\n  identifiers: {uid: tokenize\n  fields: [${secret}`, CATALOG);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AmpsealError);
    const err = caught as AmpsealError;
    expect(err.code).toBe('AMPSEAL_ERR_POLICY_INVALID');
    expect(err.message).toMatch(/not valid YAML/);
    expect(`${err.message} ${String(err.stack)} ${JSON.stringify(err)}`).not.toContain(secret);
    expect(err.cause).toBeUndefined();
  });

  it('never echoes a value in a refusal, only the path', () => {
    const raw = defaults();
    raw.analytics!.identifiers!.uid = 'SECRET-CARD-04A2B3C4D5E6F7';
    expect(refusal(raw).message).not.toContain('SECRET-CARD');
  });
});

describe('default deny', () => {
  const parser = createInputParser();

  function transformWith(yaml: string) {
    const policy = parsePolicy(yaml, CATALOG);
    return new Transform({ catalog: CATALOG, policy, tokens: new FixedKeyTokenSource(), parse: parser.parse, audiences: ['analytics'] });
  }

  const events = [
    ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: '04A2B3C4D5E6F7', meterStart: 1200, timestamp: '2026-11-24T10:00:03Z' }),
    ocpp(
      'ocpp2.0.1',
      'TransactionEvent',
      {
        eventType: 'Ended',
        timestamp: '2026-11-24T11:15:42Z',
        triggerReason: 'EVCommunicationLost',
        seqNo: 7,
        transactionInfo: { transactionId: 'tx-991', stoppedReason: 'EVDisconnected' },
        evse: { id: 2, connectorId: 1 },
        idToken: { idToken: 'NL-TNM-C00122045-K', type: 'eMAID' },
      },
      { fleet: { vehicleId: 'WVWZZZ1JZ3W386752', driverId: 'drv-0017' }, receivedAt: '2026-11-24T11:15:43Z' },
    ),
    ocpi('cdrs', ocpiExample('cdr_example.json')),
    ocpi('sessions', ocpiExample('session_example_1_simple_start.json')),
  ];

  it('with empty analytics.fields and identifiers, every canonical field is null and no identifier is emitted', async () => {
    const results = await transformWith('version: 1\nanalytics:\n  identifiers: {}\n  fields: {}\nroaming:\n  classes: {}\n').run(
      events.map((value, i) => ({ value, eventId: `e${i}` })),
    );
    for (const result of results) {
      if (result.status !== 'emitted') throw new Error(JSON.stringify(result));
      const { eventId, tenant, source, eventType, action, identifiers, droppedFields, privateSite, ...canonical } = result.analytics!;
      expect(privateSite).toBe(false);
      expect({ eventId, tenant, source, eventType, action }).toEqual({
        eventId: expect.any(String),
        tenant: 'acme-cpo',
        source: expect.any(String),
        eventType: expect.any(String),
        action: expect.any(String),
      });
      expect(identifiers).toEqual([]);
      expect(droppedFields).toBeGreaterThanOrEqual(0);
      expect(Object.entries(canonical).filter(([, v]) => v !== null)).toEqual([]);
    }
  });

  it('a kind the policy does not name is dropped, a named one tokenized', async () => {
    const reservation = ocpp('ocpp1.6', 'ReserveNow', {
      connectorId: 1,
      expiryDate: '2026-11-24T12:00:00Z',
      idTag: '04A2B3C4D5E6F7',
      parentIdTag: 'FLEET-7',
      reservationId: 5,
    });
    const [result] = await transformWith('version: 1\nanalytics:\n  identifiers: { group: tokenize }\nroaming: {}\n').run([
      { value: reservation, eventId: 'e0' },
    ]);
    if (result?.status !== 'emitted') throw new Error(JSON.stringify(result));
    expect(result.analytics!.identifiers).toEqual([{ field: 'parentIdTag', kind: 'group', status: 'TOKENIZED', token: expect.any(String) }]);
  });

  it('a roaming class the policy does not name is dropped', async () => {
    const t = new Transform({
      catalog: CATALOG,
      policy: parsePolicy('version: 1\nanalytics: {}\nroaming:\n  classes: { operational: keep }\n', CATALOG),
      tokens: new FixedKeyTokenSource(),
      parse: parser.parse,
      audiences: ['roaming'],
    });
    const [cdr] = await t.run([{ value: events[2]!, eventId: 'e2' }]);
    if (cdr?.status !== 'emitted') throw new Error(JSON.stringify(cdr));
    const object = cdr.roaming!.object;
    expect(object).not.toHaveProperty('cdr_token.uid');
    expect(object).not.toHaveProperty('cdr_token.contract_id');
    expect(object).not.toHaveProperty('start_date_time');
    expect(object).toHaveProperty('cdr_token.party_id');
  });
});
