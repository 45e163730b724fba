import { readFileSync } from 'node:fs';
import { AmpsealError } from './errors';
import { CATALOG } from './catalog';
import { createInputParser } from './input';
import { DEFAULT_POLICY_FILE } from './index';
import { parsePolicy } from './policy';
import { Transform, type Audience, type RecordResult } from './transform';
import { FixedKeyTokenSource } from './__fixtures__/token-source';
import { ocpi, ocpiExample, ocpp, ocppResult } from './__fixtures__/envelopes';

const policy = parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG);
const parser = createInputParser();

function setup(audiences: Audience[] = ['analytics']) {
  const tokens = new FixedKeyTokenSource();
  const transform = new Transform({ catalog: CATALOG, policy, tokens, parse: parser.parse, audiences });
  const run = (...values: string[]) => transform.run(values.map((value, i) => ({ value, eventId: `line:${i + 1}` })));
  return { tokens, run };
}

/** The link token the test double gives an operational id (public site). */
async function linkToken(scope: 'station' | 'transaction' | 'location', value: string): Promise<string> {
  return (await new FixedKeyTokenSource().links('acme-cpo')).token(scope, value, false);
}

function emitted(result: RecordResult) {
  if (result.status !== 'emitted') throw new Error(`expected emitted, got ${JSON.stringify(result)}`);
  return result;
}

const START = ocpp('ocpp1.6', 'StartTransaction', {
  connectorId: 1,
  idTag: '04A2B3C4D5E6F7',
  meterStart: 1200,
  timestamp: '2026-11-24T10:00:03Z',
});

describe('Transform: analytics audience', () => {
  it("turns the design's StartTransaction into one ChargingSessionEvent with the idTag as a token", async () => {
    const { run } = setup();
    const [result] = await run(START);
    const event = emitted(result!).analytics!;
    expect(event).toMatchObject({
      eventId: 'line:1',
      tenant: 'acme-cpo',
      source: 'OCPP_1_6',
      eventType: 'TRANSACTION_STARTED',
      action: 'StartTransaction',
      stationId: await linkToken('station', 'CP-0042'),
      connectorId: 1,
      meterWh: 1200,
      eventTime: Date.parse('2026-11-24T10:00:00Z'),
      receivedAt: Date.parse('2026-11-24T10:00:00Z'),
    });
    expect(event.identifiers).toEqual([{ field: 'idTag', kind: 'uid', status: 'TOKENIZED', token: expect.any(String) }]);
    expect(JSON.stringify(event)).not.toMatch(/04A2B3C4D5E6F7/i);
  });

  it('gives one card the same token over OCPP 1.6, OCPP 2.0.1 and an OCPI CDR', async () => {
    const { run } = setup();
    const cdr = ocpiExample('cdr_example.json');
    (cdr.cdr_token as Record<string, unknown>).uid = '04a2b3c4d5e6f7';
    const results = await run(
      START,
      ocpp('ocpp2.0.1', 'Authorize', { idToken: { idToken: '04:A2:B3:C4:D5:E6:F7', type: 'ISO14443' } }),
      ocpi('cdrs', cdr),
    );
    const tokens = results.map((r) => emitted(r).analytics!.identifiers.find((i) => i.kind === 'uid')!.token);
    expect(tokens[0]).toEqual(expect.any(String));
    expect(new Set(tokens).size).toBe(1);
  });

  it('gives an EV the same vehicle token for an Autocharge VID: idTag and a MacAddress idToken', async () => {
    const { run } = setup();
    const results = await run(
      ocpp('ocpp1.6', 'Authorize', { idTag: 'VID:92D50A693F80' }),
      ocpp('ocpp2.0.1', 'Authorize', { idToken: { idToken: '92:d5:0a:69:3f:80', type: 'MacAddress' } }),
    );
    const ids = results.map((r) => emitted(r).analytics!.identifiers[0]!);
    expect(ids[0]).toMatchObject({ kind: 'vehicle', status: 'TOKENIZED' });
    expect(ids[1]!.token).toBe(ids[0]!.token);
  });

  it('tokenizes Authorize.conf parentIdTag from a CALLRESULT, using the action from the envelope', async () => {
    const { run } = setup();
    const [result] = await run(
      ocppResult('ocpp1.6', 'Authorize', { idTagInfo: { status: 'Accepted', parentIdTag: 'FLEET-7', expiryDate: '2027-01-01T00:00:00Z' } }),
    );
    const event = emitted(result!).analytics!;
    expect(event.eventType).toBe('AUTHORIZATION_RESULT');
    expect(event.authorizationStatus).toBe('Accepted');
    expect(event.identifiers).toEqual([{ field: 'idTagInfo.parentIdTag', kind: 'group', status: 'TOKENIZED', token: expect.any(String) }]);
    expect(JSON.stringify(event)).not.toContain('FLEET-7');
  });

  it('maps OCPP 2.0.1 TransactionEvent Ended, converts kWh registers to Wh and buckets SoC', async () => {
    const { run } = setup();
    const [result] = await run(
      ocpp('ocpp2.0.1', 'TransactionEvent', {
        eventType: 'Ended',
        timestamp: '2026-11-24T11:15:42Z',
        triggerReason: 'EVCommunicationLost',
        seqNo: 7,
        transactionInfo: { transactionId: 'tx-991', stoppedReason: 'EVDisconnected' },
        evse: { id: 2, connectorId: 1 },
        idToken: { idToken: 'NL-TNM-C00122045-K', type: 'eMAID' },
        meterValue: [
          {
            timestamp: '2026-11-24T11:15:40Z',
            sampledValue: [
              { value: 12.5, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } },
              { value: 67, measurand: 'SoC', unitOfMeasure: { unit: 'Percent' } },
            ],
          },
        ],
      }, { receivedAt: '2026-11-24T11:15:43.000Z' }),
    );
    const event = emitted(result!).analytics!;
    expect(event).toMatchObject({
      eventType: 'TRANSACTION_ENDED',
      transactionId: await linkToken('transaction', 'tx-991'),
      stopReason: 'EVDisconnected',
      evseId: '2',
      connectorId: 1,
      meterWh: 12500,
      stateOfChargePercent: 60,
    });
    expect(event.identifiers).toEqual([{ field: 'idToken.idToken', kind: 'emaid', status: 'TOKENIZED', token: expect.any(String) }]);
  });

  it('drops vendor customData and counts it', async () => {
    const { run } = setup();
    const [result] = await run(
      ocpp('ocpp2.0.1', 'Authorize', {
        idToken: { idToken: 'AABBCCDD', type: 'ISO14443', customData: { vendorId: 'acme', homeAddress: 'Main St 1' } },
        customData: { vendorId: 'acme', driverName: 'Jane Doe' },
      }),
    );
    const r = emitted(result!);
    expect(r.droppedFields).toBe(2);
    expect(JSON.stringify(r.analytics)).not.toMatch(/Main St|Jane Doe/);
  });

  it('tokenizes fleet vehicle and driver ids from the envelope', async () => {
    const { run } = setup();
    const [result] = await run(
      ocpp('ocpp1.6', 'Authorize', { idTag: 'AABBCCDD' }, { fleet: { vehicleId: 'wvwzzz1jz3w386752', driverId: 'drv-0017' } }),
    );
    const ids = emitted(result!).analytics!.identifiers;
    expect(ids.map((i) => [i.field, i.kind])).toEqual([
      ['idTag', 'uid'],
      ['fleet.vehicleId', 'vehicle'],
      ['fleet.driverId', 'driver'],
    ]);
    expect(JSON.stringify(ids)).not.toMatch(/WVWZZZ1JZ3W386752|drv-0017/i);
  });

  it('drops the location of a home-charging CDR, tokenizes and generalizes the location of a public one', async () => {
    const { run } = setup();
    const home = { ...ocpiExample('cdr_example.json'), home_charging_compensation: true };
    const [pub, priv] = await run(ocpi('cdrs', ocpiExample('cdr_example.json')), ocpi('cdrs', home));
    expect(emitted(pub!).analytics).toMatchObject({
      locationId: await linkToken('location', 'LOC1'),
      postalCode: '900',
      city: null,
      latitude: 3.72,
      longitude: 51.04,
      transactionId: null,
      privateSite: false,
    });
    expect(emitted(priv!).analytics).toMatchObject({
      locationId: null,
      evseUid: null,
      postalCode: null,
      latitude: null,
      longitude: null,
      country: null,
      privateSite: true,
    });
  });

  it('marks identifiers of an erased subject ERASED with no token for events at or before the erasure', async () => {
    const { run, tokens } = setup();
    tokens.erased.set('uid:04A2B3C4D5E6F7', Date.parse('2026-11-25T00:00:00Z'));
    const [result] = await run(START);
    expect(emitted(result!).analytics!.identifiers).toEqual([{ field: 'idTag', kind: 'uid', status: 'ERASED', token: null }]);
  });

  describe('the erasure clock trusts neither clock alone (keyring SPEC K17: min(payload time, receivedAt))', () => {
    const ERASED_AT = Date.parse('2026-11-25T00:00:00Z');
    const start = (timestamp: string, receivedAt: string) =>
      JSON.stringify({
        tenant: 'acme-cpo',
        source: 'ocpp1.6',
        stationId: 'CP-0042',
        receivedAt,
        action: 'StartTransaction',
        frame: [2, 'm-1', 'StartTransaction', { connectorId: 1, idTag: '04A2B3C4D5E6F7', meterStart: 0, timestamp }],
      });
    const statusOf = (result: RecordResult | undefined) => emitted(result!).analytics!.identifiers[0]!.status;

    it.each([
      ['a year ahead', '2027-11-25T00:00:00Z'],
      ['in year 9999', '9999-12-31T23:59:59Z'],
      ['six minutes ahead', '2026-11-24T23:56:00Z'],
    ])('quarantines a payload time %s of receivedAt as event_time_ahead, pointing at the time', async (_name, timestamp) => {
      const { run } = setup();
      const [result] = await run(start(timestamp, '2026-11-24T23:50:00Z'));
      expect(result).toEqual({ status: 'quarantined', reason: 'event_time_ahead', keyword: 'range', pointer: '/frame/3/timestamp' });
    });

    it('a pre-erasure event whose payload time (within the skew) is after the erasure stays ERASED', async () => {
      const { run, tokens } = setup();
      tokens.erased.set('uid:04A2B3C4D5E6F7', ERASED_AT);
      // Received a minute before the erasure; the station's clock says three minutes after it.
      const [result] = await run(start('2026-11-25T00:03:00Z', '2026-11-24T23:59:00Z'));
      expect(statusOf(result)).toBe('ERASED');
    });

    it('an event received after the erasure, with a station clock reset to 1970, is ERASED: fail safe, never linked', async () => {
      const { run, tokens } = setup();
      tokens.erased.set('uid:04A2B3C4D5E6F7', ERASED_AT);
      const [result] = await run(start('1970-01-01T00:00:05Z', '2026-11-26T10:00:00Z'));
      expect(statusOf(result)).toBe('ERASED');
    });

    it('an event after the erasure by both clocks gets a token', async () => {
      const { run, tokens } = setup();
      tokens.erased.set('uid:04A2B3C4D5E6F7', ERASED_AT);
      const [result] = await run(start('2026-11-26T10:00:00Z', '2026-11-26T10:00:01Z'));
      expect(statusOf(result)).toBe('TOKENIZED');
    });
  });

  it("quarantines the records of a tenant whose root key KMS refuses, and the other tenants' records flow", async () => {
    const tokens = new FixedKeyTokenSource();
    const refusing = Object.assign(Object.create(tokens) as FixedKeyTokenSource, {
      links: async (tenant: string) => {
        if (tenant === 'gone-cpo') throw new AmpsealError('TENANT_KEY_REFUSED', 'NotFoundException');
        return tokens.links(tenant);
      },
    });
    const transform = new Transform({ catalog: CATALOG, policy, tokens: refusing, parse: parser.parse, audiences: ['analytics'] });
    const gone = START.replace('"acme-cpo"', '"gone-cpo"');
    const heartbeat = ocpp('ocpp1.6', 'Heartbeat', {}).replace('"acme-cpo"', '"gone-cpo"');
    const results = await transform.run([gone, START, heartbeat].map((value, i) => ({ value, eventId: `t:${i}` })));
    expect(results[0]).toEqual({ status: 'quarantined', reason: 'tenant_key_refused' });
    expect(results[1]!.status).toBe('emitted');
    expect(results[2]).toMatchObject({ status: 'skipped' });
  });

  it('fails the whole batch when the key ring is down (retriable: nothing is emitted, the batch is retried)', async () => {
    const tokens = new FixedKeyTokenSource();
    const down = Object.assign(Object.create(tokens) as FixedKeyTokenSource, {
      links: async () => {
        throw new AmpsealError('KEYRING_UNAVAILABLE');
      },
    });
    const transform = new Transform({ catalog: CATALOG, policy, tokens: down, parse: parser.parse, audiences: ['analytics'] });
    await expect(transform.run([{ value: START, eventId: 't:0' }])).rejects.toMatchObject({ code: 'AMPSEAL_ERR_KEYRING_UNAVAILABLE', retriable: true });
  });

  it('asks the token source once per batch, with each subject once', async () => {
    const { run, tokens } = setup();
    await run(START, START, START, ocpp('ocpp1.6', 'Authorize', { idTag: 'CAFEBABE' }));
    expect(tokens.calls).toBe(1);
    expect(tokens.requests).toBe(2);
  });

  it('asks again for one card at another time or of another tenant (a subject is tenant, kind and value at a time)', async () => {
    const { run, tokens } = setup();
    const earlier = ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: '04A2B3C4D5E6F7', meterStart: 1200, timestamp: '2026-11-24T10:00:01Z' });
    const otherTenant = ocpp('ocpp1.6', 'StartTransaction', JSON.parse(START).frame[3], { tenant: 'voltway-cpo' });
    const results = await run(START, earlier, otherTenant, START, earlier);
    expect(tokens.calls).toBe(1);
    expect(tokens.requests).toBe(3);
    const tokenOf = (r: RecordResult | undefined) => emitted(r!).analytics!.identifiers[0]!.token;
    expect(tokenOf(results[0])).toBe(tokenOf(results[3]));
    expect(tokenOf(results[1])).toBe(tokenOf(results[4]));
  });

  it('quarantines bad input with its reason and skips messages that make no session event', async () => {
    const { run, tokens } = setup();
    const results = await run(
      '{not json',
      JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp9', stationId: 'x', receivedAt: '2026-11-24T10:00:00Z', frame: [2, '1', 'Heartbeat', {}] }),
      ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: '04A2B3C4D5E6F7' }),
      ocpp('ocpp1.6', 'BootNotification', { chargePointVendor: 'ACME', chargePointModel: 'X1', iccid: '8931440000000000000' }),
      ocpp('ocpp1.6', 'Heartbeat', {}),
    );
    expect(results.map((r) => (r.status === 'quarantined' ? r.reason : r.status === 'skipped' ? r.why : r.status))).toEqual([
      'bad_json',
      'unknown_source',
      'schema_violation',
      'no_session_event',
      'no_session_event',
    ]);
    expect(tokens.calls).toBe(0);
  });
});

describe('Transform: co-occurring identifiers (keyring SPEC K37)', () => {
  it('reports the tokenized identifiers each record carried together, in one call per batch, and none for a single-identifier record', async () => {
    const { tokens, run } = setup();
    const cdr = ocpiExample('cdr_example.json');
    await run(ocpi('cdrs', cdr), START, ocpi('cdrs', { ...cdr, id: 'other', cdr_token: { ...(cdr.cdr_token as object), uid: 'AABBCCDD' } }));
    expect(tokens.cooccurrences).toHaveLength(1);
    const groups = tokens.cooccurrences[0]!;
    expect(groups.map((g) => g.subjects.map((s) => s.kind).sort())).toEqual([
      ['emaid', 'uid'],
      ['emaid', 'uid'],
    ]);
    for (const s of groups.flatMap((g) => g.subjects)) expect(s.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('leaves an ERASED identifier out of the group (no new link for an erased subject)', async () => {
    const { tokens, run } = setup();
    const cdr = ocpiExample('cdr_example.json');
    tokens.erased.set('uid:012345678', Date.parse('2100-01-01T00:00:00Z'));
    await run(ocpi('cdrs', cdr));
    expect(tokens.cooccurrences).toEqual([]);
  });
});

describe('Transform: configured tenants', () => {
  it('quarantines a record of a tenant that is not configured instead of asking the key ring for it', async () => {
    const tokens = new FixedKeyTokenSource();
    const transform = new Transform({ catalog: CATALOG, policy, tokens, parse: parser.parse, audiences: ['analytics'], tenants: new Set(['voltway-cpo']) });
    const [result] = await transform.run([{ value: START, eventId: 'line:1' }]);
    expect(result).toEqual({ status: 'quarantined', reason: 'unknown_tenant' });
    expect(tokens.calls).toBe(0);
  });
});

describe('Transform: roaming audience', () => {
  it('sends a CDR only to the party that issued its token, with its identifiers clear and unknown fields dropped', async () => {
    const { run } = setup(['roaming']);
    const cdr = { ...ocpiExample('cdr_example.json'), remark: 'called driver Jane', x_cpo_internal: { margin: 0.3 } };
    const [result] = await run(ocpi('cdrs', cdr));
    const record = emitted(result!).roaming!;
    expect(record.recipient).toBe('DE-TNM');
    expect(record.module).toBe('cdrs');
    expect(record.object.cdr_token).toEqual(ocpiExample('cdr_example.json').cdr_token);
    expect(record.object).not.toHaveProperty('remark');
    expect(record.object).not.toHaveProperty('x_cpo_internal');
    expect(record.object.total_energy).toBe(15.342);
  });

  it('quarantines a CDR with a malformed issuer as bad_issuer with pointer and rule, whatever the audience', async () => {
    const cdr = ocpiExample('cdr_example.json');
    const bad = { ...cdr, cdr_token: { ...(cdr.cdr_token as object), party_id: 'TN ' } };
    for (const audiences of [['roaming'], ['analytics']] as Audience[][]) {
      const { run, tokens } = setup(audiences);
      const [result] = await run(ocpi('cdrs', bad));
      expect(result).toEqual({ status: 'quarantined', reason: 'bad_issuer', pointer: '/cdr_token/party_id', keyword: 'pattern' });
      expect(tokens.calls).toBe(0);
    }
  });

  it('sends lower- and upper-case issuer codes to one recipient', async () => {
    const { run } = setup(['roaming']);
    const cdr = ocpiExample('cdr_example.json');
    const lower = { ...cdr, cdr_token: { ...(cdr.cdr_token as object), country_code: 'de', party_id: 'tnm' } };
    const results = await run(ocpi('cdrs', cdr), ocpi('cdrs', lower));
    expect(results.map((r) => emitted(r).roaming!.recipient)).toEqual(['DE-TNM', 'DE-TNM']);
  });

  it('emits nothing for OCPP frames and OCPI tokens', async () => {
    const { run } = setup(['roaming']);
    const results = await run(START, ocpi('tokens', ocpiExample('token_example_2_full_rfid.json')));
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });
});
