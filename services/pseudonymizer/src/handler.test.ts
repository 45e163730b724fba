import { readFileSync } from 'node:fs';
import pino from 'pino';
import { CATALOG, DEFAULT_POLICY_FILE, Transform, createInputParser, parsePolicy } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { loadConfig } from '@ampseal/runtime';
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
const handler = createRecordHandler({ transform, encoder: () => encoder, topics });

const record = (offset: number, value: string | null) => ({ topic: topics.ocppRaw, partition: 3, offset: String(offset), key: Buffer.from('CP-1'), value: value === null ? null : Buffer.from(value) });
const authorize = (idTag: string) =>
  JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-1', receivedAt: '2026-11-24T10:00:03Z', action: 'Authorize', frame: [2, '1', 'Authorize', { idTag }] });

describe('record handler', () => {
  it('routes analytics to its topic in the wire format, keyed by the station the policy keeps', async () => {
    const [out] = await handler([record(7, authorize('04A2B3C4'))]);
    expect(out!.topic).toBe(topics.analytics);
    expect(out!.key).toBe('CP-1');
    const value = out!.value as Buffer;
    expect(value.readInt32BE(1)).toBe(42);
    expect(JSON.parse(value.subarray(5).toString())).toMatchObject({ eventId: `${topics.ocppRaw}:3:7`, eventType: 'AUTHORIZATION_REQUESTED' });
    expect(value.toString()).not.toContain('04A2B3C4');
  });

  it('sends the raw record of bad input to quarantine with its reason and position', async () => {
    const outputs = await handler([record(8, '{oops'), record(9, null)]);
    expect(outputs.map((o) => [o.topic, o.headers])).toEqual([
      [topics.quarantine, { 'ampseal.reason': 'bad_json', 'ampseal.source': `${topics.ocppRaw}:3:8` }],
      [topics.quarantine, { 'ampseal.reason': 'bad_json', 'ampseal.source': `${topics.ocppRaw}:3:9` }],
    ]);
    expect(outputs[0]!.value.toString()).toBe('{oops');
  });

  it('emits nothing when the message makes no session event', async () => {
    const heartbeat = JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-1', receivedAt: '2026-11-24T10:00:03Z', action: 'Heartbeat', frame: [2, '1', 'Heartbeat', {}] });
    expect(await handler([record(10, heartbeat)])).toEqual([]);
  });
});

describe('eviction on receipts', () => {
  it('drops the retired tokens from the cache so the next event sees the erasure', async () => {
    const subject = { tenant: 'acme-cpo', kind: 'uid' as const, value: 'CAFEBABE' };
    const [first] = await keyring.tokens([{ subject, at: 1_000 }]);
    const token = first!.status === 'TOKENIZED' ? first!.token : '';
    const { retiredTokens } = await keyring.erase('acme-cpo', [{ kind: 'uid', value: 'CAFEBABE' }], { requestId: 'r1', erasedAt: 2_000 });
    const evict = evictOnReceipt('pz-1', () => keyring, pino({ level: 'silent' }));
    evict({ topic: topics.erasureEvents, partition: 0, offset: '0', key: null, value: Buffer.from(JSON.stringify({ requestId: 'r1', tenant: 'acme-cpo', action: 'erase', status: 'done', retiredTokens })) });
    expect(retiredTokens).toEqual([token]);
    expect((await keyring.tokens([{ subject, at: 1_500 }]))[0]).toEqual({ status: 'ERASED' });
  });
});
