import pino from 'pino';
import { AmpsealError } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { loadConfig } from '@ampseal/service-kit';
import { authorized } from './admin-api';
import { createRequestHandler } from './handler';
import { StatusIndex } from './status-index';
import { createHash } from 'node:crypto';

const topics = loadConfig({}).topics;

describe('request handler', () => {
  const keyring = createMemoryKeyRing();
  const handler = createRequestHandler({ keyring, topics, logger: pino({ level: 'silent' }), clock: () => Date.parse('2026-11-25T00:00:00Z') });
  const request = (body: object, key = 'req-1') => ({ topic: topics.erasureRequests, partition: 0, offset: '5', key: Buffer.from(key), value: Buffer.from(JSON.stringify(body)) });

  it('erases, journals the tombstone and answers with a receipt of retired tokens; a replay returns the same receipt', async () => {
    const [before] = await keyring.tokens([{ subject: { tenant: 'acme-cpo', kind: 'uid', value: '04A2B3C4' }, at: 1 }]);
    const body = { requestId: 'req-1', tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value: '04 a2 b3 c4' }], reason: 'Art. 17', requestedAt: '2026-11-24T12:00:00Z' };
    const first = await handler([request(body)]);
    expect(first.map((o) => o.topic)).toEqual([topics.tombstones, topics.erasureEvents]);
    expect(first[0]!.key).toMatch(/^acme-cpo:[A-Za-z0-9_-]+:req-1$/);
    const receipt = JSON.parse(first[1]!.value.toString());
    expect(receipt).toMatchObject({ requestId: 'req-1', status: 'done', action: 'erase', erased: 1, alreadyErased: 0, erasedAt: '2026-11-25T00:00:00.000Z' });
    expect(receipt.retiredTokens).toEqual([before!.status === 'TOKENIZED' ? before!.token : 'missing']);
    expect(JSON.stringify(first)).not.toContain('04A2B3C4');
    const again = await handler([request(body)]);
    expect(JSON.parse(again[1]!.value.toString())).toEqual(receipt);
  });

  it("answers a request the key ring refuses for good with a failed receipt naming the reason, and goes on", async () => {
    const refusing = Object.assign(Object.create(keyring) as typeof keyring, {
      erase: async (tenant: string, ...rest: Parameters<typeof keyring.erase> extends [string, ...infer R] ? R : never) => {
        if (tenant === 'gone-cpo') throw new AmpsealError('TENANT_KEY_REFUSED', 'NotFoundException');
        return keyring.erase(tenant, ...rest);
      },
    });
    const refusingHandler = createRequestHandler({ keyring: refusing, topics, logger: pino({ level: 'silent' }), clock: () => Date.parse('2026-11-25T00:00:00Z') });
    const body = (tenant: string, requestId: string) => ({ requestId, tenant, identifiers: [{ kind: 'uid', value: 'CAFEBABE' }], reason: 'Art. 17' });
    const out = await refusingHandler([request(body('gone-cpo', 'req-gone'), 'req-gone'), request(body('acme-cpo', 'req-after'), 'req-after')]);
    const receipts = out.filter((o) => o.topic === topics.erasureEvents).map((o) => JSON.parse(o.value.toString()));
    expect(receipts.map((r) => [r.requestId, r.status, r.error])).toEqual([
      ['req-gone', 'failed', 'tenant_key_refused'],
      ['req-after', 'done', undefined],
    ]);
  });

  it('lets a retriable failure fail the chunk (it is retried whole, nothing answered)', async () => {
    const down = Object.assign(Object.create(keyring) as typeof keyring, {
      erase: async () => {
        throw new AmpsealError('KEYRING_UNAVAILABLE');
      },
    });
    const downHandler = createRequestHandler({ keyring: down, topics, logger: pino({ level: 'silent' }), clock: () => Date.parse('2026-11-25T00:00:00Z') });
    const body = { requestId: 'req-down', tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value: 'CAFEBABE' }], reason: 'Art. 17' };
    await expect(downHandler([request(body, 'req-down')])).rejects.toMatchObject({ retriable: true });
  });

  it('answers a request id reused for another subject with a failed receipt (request_id_reused), never a silent done', async () => {
    const body = (value: string) => ({ requestId: 'TICKET-42', tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value }], reason: 'Art. 17' });
    const [, first] = await handler([request(body('0A0B0C0D'), 'TICKET-42')]);
    expect(JSON.parse(first!.value.toString())).toMatchObject({ status: 'done', erased: 1 });
    const [reused] = await handler([request(body('0E0F0A0B'), 'TICKET-42')]);
    expect(JSON.parse(reused!.value.toString())).toMatchObject({ requestId: 'TICKET-42', status: 'failed', error: 'request_id_reused' });
    const [live] = await keyring.tokens([{ subject: { tenant: 'acme-cpo', kind: 'uid', value: '0E0F0A0B' }, at: Date.parse('2026-11-26T00:00:00Z') }]);
    expect(live!.status).toBe('TOKENIZED');
  });

  it('answers an invalid request with a failed receipt under its key, and never throws', async () => {
    const [out] = await handler([request({ tenant: 'acme-cpo', identifiers: [] }, 'req-bad')]);
    expect(out!.topic).toBe(topics.erasureEvents);
    expect(JSON.parse(out!.value.toString())).toMatchObject({ requestId: 'req-bad', status: 'failed', error: 'bad_request' });
  });
});

describe('admin API authentication', () => {
  const expected = createHash('sha256').update('s3cret-token-that-is-long-enough-000').digest();
  it('accepts only the exact bearer token', () => {
    expect(authorized('Bearer s3cret-token-that-is-long-enough-000', expected)).toBe(true);
    for (const header of [undefined, '', 'Bearer ', 'Bearer s3cret', 'bearer s3cret-token-that-is-long-enough-000', 's3cret-token-that-is-long-enough-000']) {
      expect(authorized(header, expected)).toBe(false);
    }
  });
});

describe('status index', () => {
  it('reports pending until the receipt, then its counts without the tokens, and stays bounded', () => {
    const index = new StatusIndex(2);
    index.pending('a', '2026-11-25T00:00:00Z');
    expect(index.get('a')).toEqual({ requestId: 'a', status: 'pending', requestedAt: '2026-11-25T00:00:00Z' });
    index.receipt({ version: 1, requestId: 'a', tenant: 't', action: 'erase', status: 'done', completedAt: 'x', subjects: 1, erased: 1, retiredTokens: ['tok'] });
    expect(index.get('a')).toMatchObject({ status: 'done', tokenCount: 1 });
    expect(JSON.stringify(index.get('a'))).not.toContain('tok"');
    index.pending('b', 'x');
    index.pending('c', 'x');
    expect(index.get('a')).toBeUndefined();
  });
});
