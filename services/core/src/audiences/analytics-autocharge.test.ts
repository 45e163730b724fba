import { readFileSync } from 'node:fs';
import { CATALOG } from '../catalog';
import { DEFAULT_POLICY_FILE } from '../index';
import { createInputParser } from '../input';
import { parsePolicy } from '../policy';
import { Transform, type RecordResult } from '../transform';
import { ocpi, ocpp } from '../__fixtures__/envelopes';
import { FixedKeyTokenSource } from '../__fixtures__/token-source';

/**
 * Autocharge (design §3, normalize.ts rule 5): the EV's MAC address is the vehicle. OCPP 1.6 writes it as the idTag
 * `VID:<MAC>`, OCPP 2.0.1 as a MacAddress idToken, and OCPI CPOs forward the 1.6 idTag unchanged as
 * cdr_token.uid (catalog kind `uid`). All three must give one car one token.
 */
const transform = new Transform({
  catalog: CATALOG,
  policy: parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG),
  tokens: new FixedKeyTokenSource(),
  parse: createInputParser().parse,
  audiences: ['analytics'],
});

async function identifiers(value: string) {
  const [result] = (await transform.run([{ value, eventId: 'line:1' }])) as [RecordResult];
  if (result.status !== 'emitted' || !result.analytics) throw new Error(`expected a record, got ${result.status}`);
  return result.analytics.identifiers;
}

function cdrToken(uid: string) {
  return { country_code: 'DE', party_id: 'TNM', uid, type: 'OTHER', contract_id: 'DE8ACC12E46L89' };
}

const SESSION = {
  country_code: 'BE',
  party_id: 'BEC',
  id: 'S-1',
  start_date_time: '2026-11-24T10:00:00Z',
  kwh: 0,
  auth_method: 'WHITELIST',
  location_id: 'LOC1',
  evse_uid: '3256',
  connector_id: '1',
  currency: 'EUR',
  status: 'ACTIVE',
  last_updated: '2026-11-24T10:00:05Z',
};

describe('one car, one token: Autocharge VID:<MAC> over OCPP 1.6, OCPP 2.0.1 and OCPI', () => {
  it('an OCPI cdr_token.uid "VID:<MAC>" is kind vehicle with the token of the 1.6 idTag and the 2.0.1 MacAddress', async () => {
    const fromOcpp16 = await identifiers(
      ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: 'VID:92D50A693F80', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }),
    );
    const fromOcpp201 = await identifiers(
      ocpp('ocpp2.0.1', 'Authorize', { idToken: { idToken: '92:d5:0a:69:3f:80', type: 'MacAddress' } }),
    );
    const fromOcpi = await identifiers(ocpi('sessions', { ...SESSION, cdr_token: cdrToken('VID:92-D5-0A-69-3F-80') }));

    const vehicle = (ids: typeof fromOcpi) => ids.filter((id) => id.kind === 'vehicle');
    expect(vehicle(fromOcpi)).toEqual([{ field: 'cdr_token.uid', kind: 'vehicle', status: 'TOKENIZED', token: expect.any(String) }]);
    expect(vehicle(fromOcpp16).map((id) => id.token)).toEqual([vehicle(fromOcpi)[0]!.token]);
    expect(vehicle(fromOcpp201).map((id) => id.token)).toEqual([vehicle(fromOcpi)[0]!.token]);
  });

  it('an OCPI cdr_token.uid of any other form stays kind uid, with the token of the same card over OCPP', async () => {
    const fromOcpi = await identifiers(ocpi('sessions', { ...SESSION, cdr_token: cdrToken('04a2b3c4d5e6f7') }));
    const fromOcpp16 = await identifiers(
      ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: '04:A2:B3:C4:D5:E6:F7', meterStart: 0, timestamp: '2026-11-24T10:00:03Z' }),
    );
    const uid = (ids: typeof fromOcpi) => ids.filter((id) => id.kind === 'uid').map((id) => id.token);
    expect(uid(fromOcpi)).toHaveLength(1);
    expect(uid(fromOcpp16)).toEqual(uid(fromOcpi));
  });
});
