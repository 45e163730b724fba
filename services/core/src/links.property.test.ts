/**
 * Property tests of the operational-id and private-site claims (issue 9): station, transaction, reservation,
 * location and EVSE ids reach analytics only as link tokens; records at a private site name no place; numeric
 * fields carry only what was decimal in the input. Payloads are generated from the real schemas, then the link
 * fields are filled the way real deployments fill them: serial numbers, `garage-<surname>`, e-mail addresses,
 * `<uid>-<timestamp>` transaction ids, ids built from contract ids.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { ChargingSessionEvent } from './audiences/analytics';
import { CATALOG, LINK_FIELDS, type MessageCatalog } from './catalog';
import { DEFAULT_POLICY_FILE } from './index';
import { createInputParser } from './input';
import { compilePolicy, parsePolicy } from './policy';
import { Transform, type RecordResult } from './transform';
import { decimal, schemaArbitrary, schemaAt, type JsonSchema } from './__fixtures__/schema-arbitrary';
import { positions } from './__fixtures__/subjects';
import { FixedKeyTokenSource } from './__fixtures__/token-source';
import { parse as parseYaml } from 'yaml';

jest.setTimeout(30_000);

const parser = createInputParser();
const policyYaml = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
const policy = parsePolicy(policyYaml, CATALOG);
const ANALYTIC = CATALOG.filter((e) => e.eventType !== undefined);
const TOKEN = /^[A-Za-z0-9_-]{22}$/;
/** After every generated payload time (2000-2099): a payload time ahead of receivedAt is quarantined. */
const RECEIVED_AFTER_EVERY_PAYLOAD = '2100-01-01T00:00:00Z';

function schemaOf(entry: MessageCatalog): JsonSchema {
  if (entry.source === 'ocpi2.2.1') return parser.ocpi.schema(entry.message as 'sessions' | 'cdrs' | 'tokens') as JsonSchema;
  return parser.ocpp.schema(entry.source, entry.message, entry.direction!) as JsonSchema;
}

const realistic = (entry: MessageCatalog) => ({
  wideIntegers: false,
  integerBounds: {
    'meterValue[].sampledValue[].unitOfMeasure.multiplier': [-3, 3] as const,
    'transactionData[].sampledValue[].unitOfMeasure.multiplier': [-3, 3] as const,
  },
  overrides: (entry.source === 'ocpp1.6'
    ? { 'meterValue[].sampledValue[].value': decimal(6), 'transactionData[].sampledValue[].value': decimal(6) }
    : { 'meterValue[].sampledValue[].value': fc.double({ noNaN: true, min: -1e9, max: 1e9 }) }) as Record<string, fc.Arbitrary<unknown>>,
});

/** Catalog rows that feed a link field, with a string schema (integer ids cannot carry a name). */
function linkRows(entry: MessageCatalog) {
  return entry.fields.filter((r) => {
    if (r.field === undefined || !Object.hasOwn(LINK_FIELDS, r.field)) return false;
    const schema = schemaAt(schemaOf(entry), r.path);
    return schema !== undefined && (schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string')));
  });
}

/** What deployments put in operational ids, built from a secret (a card uid, a contract id, a surname). */
const secretArb = fc.oneof(
  fc.stringMatching(/^[0-9A-F]{8,20}$/),
  fc.stringMatching(/^[A-Z]{2}[A-Z0-9]{3}C[0-9A-Z]{8}$/),
  fc.stringMatching(/^[a-z]{8,14}$/),
);
const linkIdArb = (secret: string) =>
  fc.constantFrom(
    secret,
    `${secret}-1732871234`,
    `garage-${secret}`,
    `${secret}@example.org`,
    `NL-TST-C${secret}-S-0001`,
    `SN-${secret}`,
  );

function maxLengthAt(entry: MessageCatalog, path: string): number {
  const schema = schemaAt(schemaOf(entry), path);
  return typeof schema?.maxLength === 'number' ? schema.maxLength : 36;
}

interface Planted {
  readonly line: string;
  readonly secrets: string[];
}

function plant(entry: MessageCatalog, generated: Record<string, unknown>, ids: readonly string[], receivedAt: string): Planted {
  const payload = structuredClone(generated);
  const secrets: string[] = [];
  let n = 0;
  for (const rule of linkRows(entry)) {
    for (const { parent, key } of positions(payload, rule.path)) {
      const id = ids[n++ % ids.length]!.slice(0, maxLengthAt(entry, rule.path));
      parent[key] = id;
      secrets.push(id);
    }
  }
  if (entry.source === 'ocpi2.2.1') {
    return { line: JSON.stringify({ tenant: 'acme-cpo', source: entry.source, module: entry.message, object: payload, receivedAt }), secrets };
  }
  const stationId = ids[0]!.slice(0, 48);
  secrets.push(stationId);
  const frame = entry.direction === 'req' ? [2, 'm-1', entry.message, payload] : [3, 'm-1', payload];
  return { line: JSON.stringify({ tenant: 'acme-cpo', source: entry.source, stationId, receivedAt, action: entry.message, frame }), secrets };
}

/** 8-character windows with at least 4 letters or digits, case-insensitive, as in privacy.property.test.ts. */
function leaked(output: string, secrets: readonly string[]): string[] {
  const haystack = output.toUpperCase();
  const found: string[] = [];
  for (const secret of secrets) {
    const upper = secret.toUpperCase();
    if (haystack.includes(upper)) found.push(secret);
    for (let i = 0; i + 8 <= upper.length; i++) {
      const w = upper.slice(i, i + 8);
      if ((w.match(/[0-9A-Z]/g) ?? []).length >= 4 && haystack.includes(w)) found.push(`${secret} ~ ${w}`);
    }
  }
  return found;
}

function analyticsOf(result: RecordResult | undefined): ChargingSessionEvent {
  if (result?.status !== 'emitted' || result.analytics === undefined) throw new Error(`expected a record, got ${JSON.stringify(result)}`);
  return result.analytics;
}

function transformWith(yamlTenants: Record<string, unknown> | undefined, tokens = new FixedKeyTokenSource()) {
  const raw = parseYaml(policyYaml) as Record<string, unknown>;
  const compiled = yamlTenants === undefined ? policy : compilePolicy({ ...raw, tenants: yamlTenants }, CATALOG);
  return new Transform({ catalog: CATALOG, policy: compiled, tokens, parse: parser.parse, audiences: ['analytics'] });
}

/** A token issuer of the OCPI form: anything else is quarantined as bad_issuer (audiences/roaming.test.ts). */
function withIssuer(entry: MessageCatalog, payload: Record<string, unknown>): Record<string, unknown> {
  const token = payload.cdr_token;
  if (entry.source !== 'ocpi2.2.1' || token === null || typeof token !== 'object') return payload;
  return { ...payload, cdr_token: { ...token, country_code: 'NL', party_id: 'EMS' } };
}

const payloads = fc.tuple(
  ...ANALYTIC.map((entry) => schemaArbitrary(schemaOf(entry), realistic(entry)).map((payload) => ({ entry, payload: withIssuer(entry, payload) }))),
);

describe('link fields: operational ids reach analytics only as link tokens', () => {
  it('every analytic message with a string link field is exercised', () => {
    const covered = ANALYTIC.filter((e) => linkRows(e).length > 0 || e.source !== 'ocpi2.2.1').map((e) => e.key);
    expect(covered).toEqual(expect.arrayContaining(['ocpp2.0.1:TransactionEvent:req', 'ocpi2.2.1:sessions', 'ocpi2.2.1:cdrs']));
  });

  it('(f) never emits a station, transaction, location or EVSE id built from a secret, in any spelling or fragment', async () => {
    await fc.assert(
      fc.asyncProperty(payloads, secretArb.chain((s) => fc.tuple(fc.constant(s), fc.array(linkIdArb(s), { minLength: 1, maxLength: 3 }))), async (cases, [, ids]) => {
        const planted = cases.map(({ entry, payload }) => plant(entry, payload, ids, RECEIVED_AFTER_EVERY_PAYLOAD));
        const results = await transformWith(undefined).run(planted.map((p, i) => ({ value: p.line, eventId: `p:${i}` })));
        const records = results.map(analyticsOf);
        expect(leaked(JSON.stringify(records), planted.flatMap((p) => p.secrets))).toEqual([]);
        for (const r of records) {
          // The record key in stream mode is the station, else the location: a token, never a clear value.
          for (const field of Object.keys(LINK_FIELDS) as Array<keyof typeof LINK_FIELDS>) {
            if (r[field] !== null) expect(r[field]).toMatch(TOKEN);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('gives one station one token, so utilisation per station still works, and joins a Session to its CDR', async () => {
    const t = transformWith(undefined);
    const session = { ...sessionObject(), id: 'NL-TST-C12345678-S-0001' };
    const cdr = { ...cdrObject(), session_id: 'NL-TST-C12345678-S-0001' };
    const [a, b, s, c] = (
      await t.run(
        [
          ocpp16('garage-jansen', 'StartTransaction', startTransaction()),
          ocpp16('garage-jansen', 'StopTransaction', stopTransaction()),
          ocpi('sessions', session),
          ocpi('cdrs', cdr),
        ].map((value, i) => ({ value, eventId: `j:${i}` })),
      )
    ).map(analyticsOf);
    expect(a!.stationId).toMatch(TOKEN);
    expect(a!.stationId).toBe(b!.stationId);
    expect(s!.transactionId).toMatch(TOKEN);
    expect(s!.transactionId).toBe(c!.transactionId);
    // Scopes do not join: the same text as a station and as a transaction gives two tokens.
    const [x, y] = (
      await t.run([
        { value: ocpp16('SAME-TEXT', 'StartTransaction', startTransaction()), eventId: 'x' },
        { value: ocpi('sessions', { ...sessionObject(), id: 'SAME-TEXT' }), eventId: 'y' },
      ])
    ).map(analyticsOf);
    expect(x!.stationId).not.toBe(y!.transactionId);
  });

  it('refuses `keep` for every link field in the policy, naming the field', () => {
    const raw = parseYaml(policyYaml) as { analytics: { fields: Record<string, unknown> } };
    for (const field of Object.keys(LINK_FIELDS)) {
      const copy = structuredClone(raw);
      copy.analytics.fields[field] = 'keep';
      expect(() => compilePolicy(copy, CATALOG)).toThrow(`analytics.fields.${field}: a free-form operational id reaches analytics only as a link token`);
    }
  });
});

describe('private sites: home chargers and private locations', () => {
  const HOME = 'garage-de-vries';

  it('(g) a listed private site never appears in any record, its place is blank and its token joins no public token', async () => {
    await fc.assert(
      fc.asyncProperty(payloads, async (cases) => {
        const planted = cases.map(({ entry, payload }) => plant(entry, payload, [HOME], RECEIVED_AFTER_EVERY_PAYLOAD));
        const values = planted.map((p, i) => ({ value: p.line, eventId: `g:${i}` }));
        const privateRecords = (await transformWith({ 'acme-cpo': { privateSites: [HOME] } }).run(values)).map(analyticsOf);
        const publicRecords = (await transformWith(undefined).run(values)).map(analyticsOf);
        expect(leaked(JSON.stringify(privateRecords), [HOME])).toEqual([]);
        privateRecords.forEach((r, i) => {
          expect(r.privateSite).toBe(true);
          expect([r.locationId, r.evseUid, r.city, r.latitude, r.longitude]).toEqual([null, null, null, null, null]);
          const pub = publicRecords[i]!;
          // A generated home-charging CDR is private without the list; its tokens are private-domain either way.
          if (pub.privateSite) return;
          for (const field of ['stationId', 'transactionId'] as const) {
            if (r[field] !== null) expect(r[field]).not.toBe(pub[field]);
          }
        });
      }),
      { numRuns: 25 },
    );
  });

  it('a home-charging CDR teaches its location: later Sessions there are private, and the CDR joins no earlier public record', async () => {
    const tokens = new FixedKeyTokenSource();
    const t = transformWith(undefined, tokens);
    const place = { location_id: 'LOC-JANSEN-HOME', evse_uid: 'EVSE-JANSEN-1' };
    const before = { ...sessionObject(), ...place, id: 'S-0001' };
    const homeCdr = {
      ...cdrObject(),
      session_id: 'S-0001',
      home_charging_compensation: true,
      cdr_location: { ...cdrObject().cdr_location, id: place.location_id, evse_uid: place.evse_uid },
    };
    const after = { ...sessionObject(), ...place, id: 'S-0002' };
    const [s1] = (await t.run([{ value: ocpi('sessions', before), eventId: 'h:0' }])).map(analyticsOf);
    const [cdr] = (await t.run([{ value: ocpi('cdrs', homeCdr), eventId: 'h:1' }])).map(analyticsOf);
    const [s2] = (await t.run([{ value: ocpi('sessions', after), eventId: 'h:2' }])).map(analyticsOf);
    expect(s1!.privateSite).toBe(false);
    expect(cdr!.privateSite).toBe(true);
    expect(cdr!.locationId).toBeNull();
    // The Session and its home CDR share session id S-0001, but not a token: a join cannot recover the home.
    expect(cdr!.transactionId).not.toBe(s1!.transactionId);
    expect(s2!.privateSite).toBe(true);
    expect([s2!.locationId, s2!.evseUid]).toEqual([null, null]);
    expect(tokens.learned.get('acme-cpo')).toEqual(new Set([place.location_id, place.evse_uid]));
    // Learned once: a second home CDR at the same place asks the key ring for nothing.
    await t.run([{ value: ocpi('cdrs', { ...homeCdr, session_id: 'S-0002' }), eventId: 'h:3' }]);
    expect(tokens.learnCalls).toBe(1);
  });

  it('refuses a private-site entry that is not a string, naming its index and not its value', () => {
    const raw = parseYaml(policyYaml) as Record<string, unknown>;
    expect(() => compilePolicy({ ...raw, tenants: { 'acme-cpo': { privateSites: ['ok', 42] } } }, CATALOG)).toThrow(
      'tenants.acme-cpo.privateSites[1]: expected a non-empty string',
    );
    expect(() => compilePolicy({ ...raw, tenants: { 'Acme CPO': { privateSites: [] } } }, CATALOG)).toThrow('tenants.Acme CPO: not a tenant name');
  });
});

describe('(h) numbers: analytics carries only what was decimal in the input', () => {
  const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
  const valueArb = fc.oneof(
    decimal(8),
    fc.stringMatching(/^0[xX][0-9A-Fa-f]{1,14}$/),
    fc.stringMatching(/^0[bBoO][01]{1,12}$/),
    fc.stringMatching(/^[0-9]{1,4}[eE][+-]?[0-9]{1,3}$/),
    fc.constantFrom('Infinity', '-Infinity', 'NaN', ' 42', '42 ', '', '1_000', '٣'),
    fc.stringMatching(/^[0-9]{16,22}$/),
    fc.string({ maxLength: 12 }),
  );

  it('a sampled value is emitted as its decimal reading, or quarantined with bad_number / number_out_of_range', async () => {
    await fc.assert(
      fc.asyncProperty(valueArb, async (value) => {
        const line = ocpp16('CP-1', 'MeterValues', {
          connectorId: 1,
          meterValue: [{ timestamp: '2026-11-24T10:00:03Z', sampledValue: [{ value, measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
        });
        const [result] = await transformWith(undefined).run([{ value: line, eventId: 'n' }]);
        if (DECIMAL.test(value) && Math.abs(Number(value)) <= Number.MAX_SAFE_INTEGER) {
          expect(analyticsOf(result).meterWh).toBe(Number(value));
        } else {
          expect(result).toMatchObject({ status: 'quarantined', pointer: '/frame/3/meterValue/0/sampledValue/0/value' });
          expect(['bad_number', 'number_out_of_range']).toContain((result as { reason: string }).reason);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function ocpp16(stationId: string, action: string, payload: Record<string, unknown>): string {
  return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId, receivedAt: '2026-11-24T11:30:00Z', action, frame: [2, 'm-1', action, payload] });
}

function ocpi(module: 'sessions' | 'cdrs', object: Record<string, unknown>): string {
  return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module, object, receivedAt: '2026-11-24T11:30:00Z' });
}

function startTransaction(): Record<string, unknown> {
  return { connectorId: 1, idTag: '04A2B3C4', meterStart: 100, timestamp: '2026-11-24T10:00:00Z' };
}

function stopTransaction(): Record<string, unknown> {
  return { transactionId: 17, meterStop: 9100, timestamp: '2026-11-24T11:00:00Z' };
}

function sessionObject() {
  return {
    country_code: 'NL',
    party_id: 'CPO',
    id: 'S-1',
    start_date_time: '2026-11-24T10:00:00Z',
    kwh: 0,
    cdr_token: { country_code: 'NL', party_id: 'EMS', uid: '04A2B3C4', type: 'RFID', contract_id: 'NLEMSC12345678' },
    auth_method: 'WHITELIST',
    location_id: 'LOC-1',
    evse_uid: 'EVSE-1',
    connector_id: '1',
    currency: 'EUR',
    status: 'ACTIVE',
    last_updated: '2026-11-24T10:00:00Z',
  };
}

function cdrObject() {
  return {
    country_code: 'NL',
    party_id: 'CPO',
    id: 'CDR-1',
    start_date_time: '2026-11-24T10:00:00Z',
    end_date_time: '2026-11-24T11:00:00Z',
    session_id: 'S-1',
    cdr_token: { country_code: 'NL', party_id: 'EMS', uid: '04A2B3C4', type: 'RFID', contract_id: 'NLEMSC12345678' },
    auth_method: 'WHITELIST',
    cdr_location: {
      id: 'LOC-1',
      address: 'Main Street 1',
      city: 'Utrecht',
      postal_code: '3511 AB',
      country: 'NLD',
      coordinates: { latitude: '52.090737', longitude: '5.121420' },
      evse_uid: 'EVSE-1',
      evse_id: 'NL*CPO*E1',
      connector_id: '1',
      connector_standard: 'IEC_62196_T2',
      connector_format: 'SOCKET',
      connector_power_type: 'AC_3_PHASE',
    },
    currency: 'EUR',
    charging_periods: [{ start_date_time: '2026-11-24T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 9 }] }],
    total_cost: { excl_vat: 3.5 },
    total_energy: 9,
    total_time: 1,
    last_updated: '2026-11-24T11:00:00Z',
  };
}

describe('OCPI Locations: an unpublished Location teaches its ids as private sites', () => {
  const location = (object: Record<string, unknown>, method?: string) =>
    JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'locations', object, ...(method ? { method } : {}), receivedAt: '2026-11-24T10:00:03Z' });
  const home = {
    country_code: 'NL',
    party_id: 'CPO',
    id: 'LOC-FAMILY-BAKKER',
    publish: false,
    evses: [{ uid: 'EVSE-BAKKER-1', evse_id: 'NL*CPO*EBAKKER1', status: 'AVAILABLE' }],
    last_updated: '2026-11-24T10:00:00Z',
  };

  it('is skipped for every audience, and later Sessions at its location or EVSE name no place', async () => {
    const tokens = new FixedKeyTokenSource();
    const t = transformWith(undefined, tokens);
    const [notice] = await t.run([{ value: location(home), eventId: 'l:0' }]);
    expect(notice).toEqual({ status: 'skipped', why: 'not_for_audience', droppedFields: 0 });
    expect(tokens.learned.get('acme-cpo')).toEqual(new Set(['LOC-FAMILY-BAKKER', 'EVSE-BAKKER-1', 'NL*CPO*EBAKKER1']));
    const [atLocation, atEvse, elsewhere] = (
      await t.run([
        { value: ocpi('sessions', { ...sessionObject(), location_id: 'LOC-FAMILY-BAKKER', evse_uid: 'E-9' }), eventId: 'l:1' },
        { value: ocpi('sessions', { ...sessionObject(), location_id: 'LOC-9', evse_uid: 'EVSE-BAKKER-1' }), eventId: 'l:2' },
        { value: ocpi('sessions', sessionObject()), eventId: 'l:3' },
      ])
    ).map(analyticsOf);
    for (const r of [atLocation!, atEvse!]) expect([r.privateSite, r.locationId, r.evseUid]).toEqual([true, null, null]);
    expect(elsewhere!.privateSite).toBe(false);
    // Known already: the same Location again stores nothing.
    await t.run([{ value: location(home), eventId: 'l:4' }]);
    expect(tokens.learnCalls).toBe(1);
  });

  it('a published Location teaches nothing; a PATCH that unpublishes one with its id does', async () => {
    const tokens = new FixedKeyTokenSource();
    const t = transformWith(undefined, tokens);
    await t.run([{ value: location({ ...home, publish: true }), eventId: 'p:0' }]);
    expect(tokens.learnCalls).toBe(0);
    await t.run([{ value: location({ id: 'LOC-NOW-PRIVATE', publish: false, last_updated: '2026-11-24T10:00:00Z' }, 'PATCH'), eventId: 'p:1' }]);
    expect(tokens.learned.get('acme-cpo')).toEqual(new Set(['LOC-NOW-PRIVATE']));
  });

  it.each([
    [{ ...home, publish: 'no' }, '/object/publish', 'type'],
    [{ ...home, publish: undefined }, '/object/publish', 'required'],
    [{ ...home, id: 'X'.repeat(37) }, '/object/id', 'maxLength'],
    [{ ...home, evses: [{ uid: 7 }] }, '/object/evses/0/uid', 'type'],
    [{ ...home, evses: [{ uid: 'E-1', evse_id: 'Y'.repeat(49) }] }, '/object/evses/0/evse_id', 'maxLength'],
  ])('a malformed Location is quarantined with its pointer (%#)', async (object, pointer, keyword) => {
    const [result] = await transformWith(undefined).run([{ value: location(object as Record<string, unknown>), eventId: 'm' }]);
    expect(result).toEqual({ status: 'quarantined', reason: 'schema_violation', pointer, keyword });
  });
});
