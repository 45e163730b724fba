import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { AmpsealError, CATALOG, DEFAULT_POLICY_FILE, Transform, createInputParser, parsePolicy } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { loadConfig } from '@ampseal/service-kit';
import { evictOnReceipt } from './evictions';
import { createRecordHandler } from './handler';

const topics = loadConfig({}).topics;
const keyring = createMemoryKeyRing();
const transform = new Transform({
  catalog: CATALOG,
  policy: parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG),
  tokens: keyring,
  parse: createInputParser().parse,
  audiences: ['analytics', 'roaming'],
});
// Stands in for the registry-backed encoder: the wire header with schema id 42, then JSON.
const encoder = { schemaId: 42, encode: (r: unknown) => Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from(JSON.stringify(r))]) };
const handler = createRecordHandler({ transform, encoder, topics });

const record = (offset: number, value: string | null) => ({ topic: topics.ocppRaw, partition: 3, offset: String(offset), key: Buffer.from('CP-1'), value: value === null ? null : Buffer.from(value) });
const authorize = (idTag: string) =>
  JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-1', receivedAt: '2026-11-24T10:00:03Z', action: 'Authorize', frame: [2, '1', 'Authorize', { idTag }] });

describe('record handler', () => {
  it("routes analytics to its topic in the wire format, keyed by the station's link token, never its id", async () => {
    const [out] = await handler([record(7, authorize('04A2B3C4'))]);
    expect(out!.topic).toBe(topics.analytics);
    expect(out!.key).toBe((await keyring.links('acme-cpo')).token('station', 'CP-1', false));
    expect(out!.key).not.toContain('CP-1');
    const value = out!.value as Buffer;
    expect(value.readInt32BE(1)).toBe(42);
    expect(JSON.parse(value.subarray(5).toString())).toMatchObject({ eventId: `${topics.ocppRaw}:3:7`, eventType: 'AUTHORIZATION_REQUESTED' });
    expect(value.toString()).not.toContain('04A2B3C4');
  });

  it('sends the raw record of bad input to quarantine with its reason and position', async () => {
    const outputs = await handler([record(8, '{oops'), record(9, null)]);
    expect(outputs.map((o) => [o.topic, o.headers])).toEqual([
      // Where it failed (the JSON pointer: '' is the whole record) and the rule, never the value.
      [topics.quarantine, { 'ampseal.reason': 'bad_json', 'ampseal.source': `${topics.ocppRaw}:3:8`, 'ampseal.pointer': '', 'ampseal.keyword': 'json' }],
      [topics.quarantine, { 'ampseal.reason': 'bad_json', 'ampseal.source': `${topics.ocppRaw}:3:9` }],
    ]);
    expect(outputs[0]!.value.toString()).toBe('{oops');
  });

  it('quarantines a record over the input limit without its body, naming its size, so the copy can never outgrow the broker limit', async () => {
    const big = `{"tenant":"acme-cpo","pad":"${'x'.repeat(300 * 1024)}"}`;
    const [out] = await handler([record(11, big)]);
    expect(out!.headers).toEqual({
      'ampseal.reason': 'too_large',
      'ampseal.source': `${topics.ocppRaw}:3:11`,
      'ampseal.pointer': '',
      'ampseal.keyword': 'maxBytes',
      'ampseal.omitted-bytes': String(Buffer.byteLength(big)),
    });
    expect(out!.value).toHaveLength(0);
  });

  it('emits nothing when the message makes no session event', async () => {
    const heartbeat = JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-1', receivedAt: '2026-11-24T10:00:03Z', action: 'Heartbeat', frame: [2, '1', 'Heartbeat', {}] });
    expect(await handler([record(10, heartbeat)])).toEqual([]);
  });
});

/** The official OCPI 2.2.1 CDR example, vendored in core's fixtures (services/core/src/__fixtures__/reference). */
const CDR_EXAMPLE = join(__dirname, '..', '..', 'core', 'src', '__fixtures__', 'reference', 'ocpi221', 'examples', 'cdr_example.json');

describe('roaming routing', () => {
  const cdr = JSON.parse(readFileSync(CDR_EXAMPLE, 'utf8')) as { id: string; cdr_token: Record<string, unknown> };
  const ocpiRecord = (offset: number, issuer: [string, string]) =>
    ({ ...record(offset, JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: { ...cdr, cdr_token: { ...cdr.cdr_token, country_code: issuer[0], party_id: issuer[1] } } })), topic: topics.ocpiRaw });
  const existing = (names: string[]) => ({ asked: [] as string[][], async existing(t: Iterable<string>) { this.asked.push([...t]); return new Set(names); } });

  it("puts each CDR on its issuer's own topic, keyed by the CDR id, asking for the chunk's topics once", async () => {
    const directory = existing(['ocpi.roaming.DE-TNM.v1', 'ocpi.roaming.NL-EMS.v1']);
    const routed = createRecordHandler({ transform, encoder, topics, roamingTopics: directory });
    const outputs = await routed([ocpiRecord(1, ['DE', 'TNM']), ocpiRecord(2, ['nl', 'ems']), ocpiRecord(3, ['de', 'tnm'])]);
    const roaming = outputs.filter((o) => o.topic.startsWith('ocpi.roaming.'));
    expect(roaming.map((o) => [o.topic, o.key])).toEqual([
      ['ocpi.roaming.DE-TNM.v1', cdr.id],
      ['ocpi.roaming.NL-EMS.v1', cdr.id],
      ['ocpi.roaming.DE-TNM.v1', cdr.id],
    ]);
    expect(directory.asked).toEqual([['ocpi.roaming.DE-TNM.v1', 'ocpi.roaming.NL-EMS.v1']]);
  });

  it('quarantines the whole record as unknown_recipient when its topic is missing or the issuer is not allowed', async () => {
    const routed = createRecordHandler({ transform, encoder, topics, roamingTopics: existing(['ocpi.roaming.DE-TNM.v1', 'ocpi.roaming.NL-EMS.v1']), roamingRecipients: new Set(['DE-TNM', 'BE-BEC']) });
    const outputs = await routed([ocpiRecord(1, ['NL', 'EMS']), ocpiRecord(2, ['BE', 'BEC']), ocpiRecord(3, ['DE', 'TNM'])]);
    expect(outputs.filter((o) => o.topic === topics.quarantine).map((o) => o.headers)).toEqual([
      { 'ampseal.reason': 'unknown_recipient', 'ampseal.source': `${topics.ocpiRaw}:3:1` },
      { 'ampseal.reason': 'unknown_recipient', 'ampseal.source': `${topics.ocpiRaw}:3:2` },
    ]);
    // Nothing else of a quarantined record is emitted: no analytics, no roaming.
    expect(outputs.filter((o) => o.topic !== topics.quarantine).map((o) => o.topic)).toEqual([topics.analytics, 'ocpi.roaming.DE-TNM.v1']);
  });

  it('quarantines a malformed issuer as bad_issuer with its pointer and rule', async () => {
    const outputs = await handler([ocpiRecord(4, ['N-', 'L'])]);
    expect(outputs.map((o) => [o.topic, o.headers])).toEqual([
      [topics.quarantine, { 'ampseal.reason': 'bad_issuer', 'ampseal.source': `${topics.ocpiRaw}:3:4`, 'ampseal.pointer': '/cdr_token/country_code', 'ampseal.keyword': 'pattern' }],
    ]);
  });
});

describe('a record the analytics encoder refuses', () => {
  // The registry-backed encoder throws ENCODE_FAILED when a record does not fit the schema (a policy and schema out
  // of step); this one refuses the records it is told to, and wire-encodes the others like the stand-in above.
  const refusing = (refuse: (eventId: string) => boolean | Error) => ({
    schemaId: 42,
    encode: (r: unknown) => {
      const verdict = refuse((r as { eventId: string }).eventId);
      if (verdict instanceof Error) throw verdict;
      if (verdict) throw new AmpsealError('ENCODE_FAILED', 'fields energyKwh');
      return encoder.encode(r);
    },
  });

  it('is quarantined with its reason and position, and the records behind it are emitted', async () => {
    const poisoned = createRecordHandler({ transform, encoder: refusing((id) => id.endsWith(':3:21')), topics });
    const outputs = await poisoned([record(20, authorize('04A2B3C4')), record(21, authorize('04A2B3C5')), record(22, authorize('04A2B3C6'))]);
    expect(outputs.map((o) => [o.topic, o.headers])).toEqual([
      [topics.analytics, undefined],
      [topics.quarantine, { 'ampseal.reason': 'encode_failed', 'ampseal.source': `${topics.ocppRaw}:3:21` }],
      [topics.analytics, undefined],
    ]);
    expect(outputs[1]!.value.toString()).toBe(authorize('04A2B3C5'));
  });

  it('leaves no roaming output behind: the record is quarantined as a whole', async () => {
    const cdr = JSON.parse(readFileSync(CDR_EXAMPLE, 'utf8')) as Record<string, unknown>;
    const poisoned = createRecordHandler({ transform, encoder: refusing(() => true), topics });
    const outputs = await poisoned([{ ...record(5, JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: cdr })), topic: topics.ocpiRaw }]);
    expect(outputs.map((o) => [o.topic, o.headers?.['ampseal.reason']])).toEqual([[topics.quarantine, 'encode_failed']]);
  });

  it('throws what is not a per-record failure (an encoder bug), so the Kafka edge stops the instance', async () => {
    const broken = createRecordHandler({ transform, encoder: refusing(() => new TypeError('encoder bug')), topics });
    await expect(broken([record(30, authorize('04A2B3C7'))])).rejects.toThrow(TypeError);
  });
});

describe('eviction on receipts', () => {
  it('drops the retired tokens from the cache so the next event sees the erasure', async () => {
    const subject = { tenant: 'acme-cpo', kind: 'uid' as const, value: 'CAFEBABE' };
    const [first] = await keyring.tokens([{ subject, at: 1_000 }]);
    const token = first!.status === 'TOKENIZED' ? first!.token : '';
    const { retiredTokens } = await keyring.erase('acme-cpo', [{ kind: 'uid', value: 'CAFEBABE' }], { requestId: 'r1', erasedAt: 2_000 });
    const evict = evictOnReceipt('pz-1', keyring, pino({ level: 'silent' }));
    evict({ topic: topics.erasureEvents, partition: 0, offset: '0', key: null, value: Buffer.from(JSON.stringify({ requestId: 'r1', tenant: 'acme-cpo', action: 'erase', status: 'done', retiredTokens })) });
    expect(retiredTokens).toEqual([token]);
    expect((await keyring.tokens([{ subject, at: 1_500 }]))[0]).toEqual({ status: 'ERASED' });
  });
});
