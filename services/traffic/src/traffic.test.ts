import { createInputParser, normalize, normalizeIdTag, type IdentifierKind } from '@ampseal/core';
import { MALFORMED_REASONS, SUBJECT_KINDS, type TrafficRecord } from './record';
import { createTraffic, TRAFFIC_DEFAULTS, type Traffic } from './traffic';
import type { Card, Population } from './population';

type Json = Record<string, unknown>;

const parser = createInputParser();

/** The session-opening frame of each session: exactly one per session, carrying the card. */
const SESSION_OPENERS = new Set([
  'ocpp1.6:Authorize:req',
  'ocpp1.6:RemoteStartTransaction:req',
  'ocpp2.0.1:Authorize:req',
  'ocpp2.0.1:RequestStartTransaction:req',
]);

function parse(record: TrafficRecord): Json {
  return JSON.parse(record.value) as Json;
}

/** Every way a station or a roaming partner writes a card's identifier → the card. */
function cardIndex(population: Population): Map<string, Card> {
  const byId = new Map<string, Card>();
  for (const card of population.cards) {
    for (const id of [card.idTag, card.idToken, card.idTag.replace(/-/g, '')]) {
      byId.set(id, card);
      byId.set(id.toLowerCase(), card);
    }
  }
  return byId;
}

function sessionsPerCard(traffic: Traffic, records: readonly TrafficRecord[]): number[] {
  const byId = cardIndex(traffic.population);
  const counts = new Array<number>(traffic.population.cards.length).fill(0);
  for (const record of records) {
    if (!SESSION_OPENERS.has(record.message)) continue;
    const card = byId.get(record.subjects![0]!.raw);
    if (card === undefined) throw new Error(`no card for a ${record.message}`);
    counts[card.index]!++;
  }
  return counts;
}

function distinctSubjects(records: readonly TrafficRecord[]): number {
  const seen = new Set<string>();
  for (const record of records) {
    for (const subject of record.subjects ?? []) {
      // Normalized as the pseudonymizer does (design §3): one card however it is written.
      const normalized = subject.kind === 'uid' || subject.kind === 'vehicle' ? normalizeIdTag(subject.raw) : undefined;
      const kind = normalized?.kind ?? subject.kind;
      seen.add(`${kind}:${normalized?.value ?? normalize(subject.kind as IdentifierKind, subject.raw)}`);
    }
  }
  return seen.size;
}

describe('createTraffic', () => {
  // 20k records with 2% malformed ones: the shared sample of most tests below.
  const traffic = createTraffic({ seed: 2026, malformedRate: 0.02 });
  const records = traffic.take(20_000);
  const valid = records.filter((r) => r.kind === 'valid');
  const malformed = records.filter((r) => r.kind === 'malformed');

  test('the same seed gives the same records, another seed other records', () => {
    const a = createTraffic({ seed: 7 }).take(3000);
    const b = createTraffic({ seed: 7 }).take(3000);
    expect(b).toEqual(a);
    const c = createTraffic({ seed: 8 }).take(3000);
    const shared = c.filter((r, i) => r.value === a[i]!.value).length;
    expect(shared).toBe(0);
  });

  test('next() continues where take() stopped', () => {
    const one = createTraffic({ seed: 3 });
    const head = one.take(500);
    const tail = [one.next(), one.next()];
    expect([...head, ...tail]).toEqual(createTraffic({ seed: 3 }).take(502));
  });

  test('every valid record passes the input parser of @ampseal/core', () => {
    const failures: string[] = [];
    for (const record of valid) {
      const result = parser.parse(record.value);
      if (!result.ok) failures.push(`${record.message}: ${result.error.message}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(valid.length).toBeGreaterThan(19_000);
  });

  test('every malformed record fails with its expected reason, and every reason occurs', () => {
    expect(malformed.length).toBeGreaterThan(250);
    for (const record of malformed) {
      const result = parser.parse(record.value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect({ message: record.message, reason: result.error.reason }).toEqual({ message: record.message, reason: record.expectedReason });
      expect(record.subjects).toBeUndefined();
    }
    expect(new Set(malformed.map((r) => r.expectedReason))).toEqual(new Set(MALFORMED_REASONS));
  });

  test('the malformed rate injects records without changing the valid ones', () => {
    const clean = createTraffic({ seed: 2026 }).take(valid.length);
    expect(valid.map((r) => r.value)).toEqual(clean.map((r) => r.value));
  });

  test('records are one NDJSON line each, keyed by stationId (OCPP) or object id (OCPI)', () => {
    const problems: string[] = [];
    for (const record of records) {
      if (record.value.includes('\n')) problems.push(`${record.message}: newline`);
      if (record.kind === 'malformed') continue;
      const envelope = parse(record);
      if (envelope.tenant !== 'acme-cpo') problems.push(`${record.message}: tenant`);
      if (record.topic === 'ocpp.raw.v1') {
        if (envelope.stationId !== record.key) problems.push(`${record.message}: key`);
        if (!record.message.startsWith(`${envelope.source as string}:${envelope.action as string}:`)) problems.push(`${record.message}: message`);
      } else {
        const object = envelope.object as Json;
        if (record.topic !== 'ocpi.raw.v1' || record.key !== (envelope.module === 'tokens' ? object.uid : object.id)) {
          problems.push(`${record.message}: key`);
        }
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  test('receivedAt never goes back in time', () => {
    let last = 0;
    let backwards = 0;
    for (const record of valid) {
      const at = Date.parse(parse(record).receivedAt as string);
      if (at < last) backwards++;
      last = at;
    }
    expect(backwards).toBe(0);
    expect(last).toBeGreaterThan(TRAFFIC_DEFAULTS.startTime);
  });

  test('subjects are identifier kinds of design §3 and appear verbatim in the record', () => {
    const kinds = new Set<string>(SUBJECT_KINDS);
    const problems: string[] = [];
    const seenKinds = new Set<string>();
    let withSubjects = 0;
    for (const record of valid) {
      for (const subject of record.subjects!) {
        seenKinds.add(subject.kind);
        if (!kinds.has(subject.kind)) problems.push(`${record.message}: kind ${subject.kind}`);
        if (!record.value.includes(JSON.stringify(subject.raw))) problems.push(`${record.message}: ${subject.kind} not in value`);
      }
      if (record.subjects!.length > 0) withSubjects++;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(withSubjects).toBeGreaterThan(valid.length / 20);
    expect([...seenKinds].sort()).toEqual(['authref', 'device', 'driver', 'emaid', 'extra', 'group', 'uid', 'vehicle', 'visual']);
  });

  test('the stream carries every protocol flow and the identifier forms a CPO sees', () => {
    const messages = new Set(valid.map((r) => r.message));
    for (const message of [
      'ocpp1.6:Authorize:req',
      'ocpp1.6:Authorize:conf',
      'ocpp1.6:StartTransaction:req',
      'ocpp1.6:StartTransaction:conf',
      'ocpp1.6:MeterValues:req',
      'ocpp1.6:StopTransaction:req',
      'ocpp1.6:StatusNotification:req',
      'ocpp1.6:Heartbeat:req',
      'ocpp1.6:DataTransfer:req',
      'ocpp1.6:BootNotification:req',
      'ocpp2.0.1:Authorize:req',
      'ocpp2.0.1:Authorize:conf',
      'ocpp2.0.1:TransactionEvent:req',
      'ocpp2.0.1:TransactionEvent:conf',
      'ocpp2.0.1:StatusNotification:req',
      'ocpp2.0.1:Heartbeat:req',
      'ocpi2.2.1:sessions',
      'ocpi2.2.1:cdrs',
      'ocpi2.2.1:tokens',
    ]) {
      expect(messages).toContain(message);
    }
    const text = valid.map((r) => r.value).join('\n');
    for (const feature of [
      /"idTag":"[0-9A-F]{14}"/, // 7-byte RFID
      /"idTag":"[0-9A-F]{8}"/, // 4-byte RFID
      /"idTag":"[0-9a-f]{8,14}"/, // lower-case firmware quirk
      /"idTag":"VID:[0-9A-F]{12}"/, // Autocharge over 1.6
      /"type":"MacAddress"/, // Autocharge over 2.0.1
      /"type":"eMAID"/, // Plug & Charge
      /"type":"Central"/, // app users
      /"parentIdTag":"/,
      /"groupIdToken":\{/,
      /"unit":"kWh"/,
      /"measurand":"SoC"/,
      /"transactionData":\[/,
      /"format":"SignedData"/,
      /"signedMeterValue":\{/,
      /"customData":\{"vendorId"/,
      /"iccid":"\d+"/,
      /"fleet":\{"vehicleId":"/,
      /"signed_data":\{"encoding_method":"OCMF"/,
      /"coordinates":\{"latitude":"/,
      /"status":"PENDING"/,
      /"auth_method":"COMMAND"/,
    ]) {
      expect(text).toMatch(feature);
    }
  });

  test('OCPP exchanges are consistent: results answer their call, transactions carry one id', () => {
    const calls = new Map<string, string>();
    const transactionOf = new Map<string, number>();
    const seqNo = new Map<string, number>();
    for (const record of valid) {
      if (record.topic !== 'ocpp.raw.v1') continue;
      const envelope = parse(record);
      const frame = envelope.frame as unknown[];
      const station = envelope.stationId as string;
      if (frame[0] === 2) {
        calls.set(`${station}|${frame[1] as string}`, frame[2] as string);
        const payload = frame[3] as Json;
        if (frame[2] === 'MeterValues' || frame[2] === 'StopTransaction') {
          // 1.6: the id the CSMS handed out in StartTransaction.conf on this connector.
          expect([...transactionOf.values()]).toContain(payload.transactionId);
        }
        if (frame[2] === 'TransactionEvent') {
          // 2.0.1: seqNo counts from 0 per transaction; Started first, nothing after Ended.
          const id = (payload.transactionInfo as Json).transactionId as string;
          const expected = seqNo.get(id) ?? 0;
          expect(expected).toBeGreaterThanOrEqual(0);
          expect(payload.seqNo).toBe(expected);
          expect(payload.eventType === 'Started').toBe(expected === 0);
          seqNo.set(id, payload.eventType === 'Ended' ? -1 : expected + 1);
        }
      } else {
        expect(calls.get(`${station}|${frame[1] as string}`)).toBe(envelope.action);
        const payload = frame[2] as Json;
        if (envelope.action === 'StartTransaction') transactionOf.set(`${station}|${frame[1] as string}`, payload.transactionId as number);
      }
    }
    expect(transactionOf.size).toBeGreaterThan(50);
    expect(new Set(transactionOf.values()).size).toBe(transactionOf.size);
  });

  test('energy registers only move forward: meterStop ≥ meterStart, OCPI sessions end COMPLETED before their CDR', () => {
    const starts = new Map<number, number>();
    const sessionStatus = new Map<string, string>();
    const startTx = new Map<string, Json>();
    for (const record of valid) {
      const envelope = parse(record);
      if (record.topic === 'ocpp.raw.v1') {
        const frame = envelope.frame as unknown[];
        if (frame[0] === 2 && frame[2] === 'StartTransaction') startTx.set(`${envelope.stationId as string}|${frame[1] as string}`, frame[3] as Json);
        if (frame[0] === 3 && envelope.action === 'StartTransaction') {
          const start = startTx.get(`${envelope.stationId as string}|${frame[1] as string}`)!;
          starts.set((frame[2] as Json).transactionId as number, start.meterStart as number);
        }
        if (frame[0] === 2 && frame[2] === 'StopTransaction') {
          const payload = frame[3] as Json;
          expect(payload.meterStop as number).toBeGreaterThanOrEqual(starts.get(payload.transactionId as number)!);
        }
        continue;
      }
      const object = envelope.object as Json;
      if (envelope.module === 'sessions') {
        const previous = sessionStatus.get(object.id as string);
        const order = ['PENDING', 'ACTIVE', 'COMPLETED'];
        if (previous !== undefined) expect(order.indexOf(object.status as string)).toBeGreaterThanOrEqual(order.indexOf(previous));
        sessionStatus.set(object.id as string, object.status as string);
      } else if (envelope.module === 'cdrs') {
        expect(sessionStatus.get(object.session_id as string)).toBe('COMPLETED');
      }
    }
  });

  test("roaming CDRs and Sessions name the card's issuer in cdr_token, never the CPO", () => {
    const byId = cardIndex(traffic.population);
    let cdrs = 0;
    for (const record of valid) {
      if (record.topic !== 'ocpi.raw.v1') continue;
      const envelope = parse(record);
      if (envelope.module === 'tokens') continue;
      const object = envelope.object as Json;
      const token = object.cdr_token as Json;
      const card = byId.get(token.uid as string)!;
      expect(card.roaming).toBe(true);
      expect({ country_code: token.country_code, party_id: token.party_id, contract_id: token.contract_id }).toEqual({
        country_code: card.issuer.countryCode,
        party_id: card.issuer.partyId,
        contract_id: card.contractId,
      });
      expect({ country_code: object.country_code, party_id: object.party_id }).toEqual({ country_code: 'NL', party_id: 'ACM' });
      if (envelope.module === 'cdrs') {
        cdrs++;
        const signed = object.signed_data as Json | undefined;
        for (const value of (signed?.signed_values as Json[] | undefined) ?? []) {
          expect(value.plain_data).toMatch(/^OCMF\|\{/);
          expect((value.plain_data as string).length).toBeLessThanOrEqual(512);
        }
      }
    }
    expect(cdrs).toBeGreaterThan(50);
  });

  test('cards of the CPO’s own eMSP never appear over OCPI', () => {
    const byId = cardIndex(traffic.population);
    for (const record of valid) {
      if (!SESSION_OPENERS.has(record.message)) continue;
      const card = byId.get(record.subjects![0]!.raw)!;
      if (!card.roaming) expect(valid.some((r) => r.topic === 'ocpi.raw.v1' && r.value.includes(`"uid":"${card.idToken}"`))).toBe(false);
    }
  });

  test('home chargers report employer-paid charging: home_charging_compensation true on their CDRs', () => {
    const many = createTraffic({ seed: 5, stations: 60, cards: 300 }).take(60_000);
    const homeLocations = new Set(
      createTraffic({ seed: 5, stations: 60, cards: 300 })
        .population.stations.filter((s) => s.home)
        .map((s) => s.location.id),
    );
    let home = 0;
    for (const record of many) {
      if (record.message !== 'ocpi2.2.1:cdrs') continue;
      const object = parse(record).object as Json;
      const atHome = homeLocations.has((object.cdr_location as Json).id as string);
      if (atHome) {
        home++;
        expect(object.home_charging_compensation).toBe(true);
      } else {
        expect(object.home_charging_compensation).not.toBe(true);
      }
    }
    expect(home).toBeGreaterThan(0);
  });

  test('repeat drivers: the top 20% of cards make at least half of the sessions', () => {
    const repeat = createTraffic({ seed: 11, cards: 500 });
    const counts = sessionsPerCard(repeat, repeat.take(150_000)).sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, counts.length / 5).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(1500);
    expect(top / total).toBeGreaterThanOrEqual(0.5);
    expect(top / total).toBeLessThan(0.8);
    // …and nobody charges absurdly often (plain Zipf would give the top card ~15% here): under 3%.
    expect(counts[0]! / total).toBeLessThan(0.03);
  });

  test('distinct subjects grow with the cards option', () => {
    const few = distinctSubjects(createTraffic({ seed: 9, cards: 200 }).take(20_000));
    const many = distinctSubjects(createTraffic({ seed: 9, cards: 20_000 }).take(20_000));
    expect(many).toBeGreaterThan(few * 2);
  });

  test('options are checked and name the option at fault', () => {
    expect(() => createTraffic({ seed: 1.5 })).toThrow(/seed/);
    expect(() => createTraffic({ seed: 1, stations: 10_000 })).toThrow(/stations/);
    expect(() => createTraffic({ seed: 1, cards: 0 })).toThrow(/cards/);
    expect(() => createTraffic({ seed: 1, malformedRate: 2 })).toThrow(/malformedRate/);
    expect(() => createTraffic({ seed: 1, tenant: 'ACME' })).toThrow(/tenant/);
    expect(() => createTraffic({ seed: 1, startTime: Number.NaN })).toThrow(/startTime/);
    expect(createTraffic({ seed: 1, stations: undefined }).options.stations).toBe(TRAFFIC_DEFAULTS.stations);
  });

  test('small worlds work too: one station, one card', () => {
    const tiny = createTraffic({ seed: 1, stations: 1, cards: 1 });
    for (const record of tiny.take(2000)) expect(parser.parse(record.value).ok).toBe(true);
  });

  test('tenant and start time are honoured', () => {
    const other = createTraffic({ seed: 1, tenant: 'voltway-cpo', startTime: Date.UTC(2027, 0, 1) });
    const first = parse(other.next());
    expect(first.tenant).toBe('voltway-cpo');
    expect((first.receivedAt as string).startsWith('2027-01-01T')).toBe(true);
    expect(other.population.cpo.partyId).toBe('VOL');
  });
});
