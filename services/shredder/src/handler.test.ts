import pino from 'pino';
import { AmpsealError, signRequest } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { loadConfig } from '@ampseal/service-kit';
import { authenticate } from './admin-api';
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

  it('a restriction receipt names the subject token and its token in every live epoch (keyring SPEC K45, K52)', async () => {
    const day = 86_400_000;
    const epoch = { windowMs: 30 * day, retentionMs: 730 * day };
    const subject = { tenant: 'acme-cpo', kind: 'uid' as const, value: '04EE0001' };
    const [plain] = await keyring.tokens([{ subject, at: Date.now() }]);
    const epochTokens = await keyring.tokens([
      { subject, at: Date.now(), epoch },
      { subject, at: Date.now() - 40 * day, epoch },
    ]);
    const body = { requestId: 'req-restrict-epochs', tenant: 'acme-cpo', action: 'restrict', identifiers: [{ kind: 'uid', value: '04EE0001' }], reason: 'Art. 18', requestedAt: '2026-11-24T12:00:00Z' };
    const [out] = await handler([request(body, 'req-restrict-epochs')]);
    const receipt = JSON.parse(out!.value.toString()) as { affectedTokens: string[] };
    const token = (o: unknown) => (o as { token: string }).token;
    expect(receipt.affectedTokens.sort()).toEqual([token(plain), ...epochTokens.map(token)].sort());
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

  describe('request signatures', () => {
    const signingKey = Buffer.from('a-request-signing-key-of-32-bytes!!');
    const signed = createRequestHandler({ keyring, topics, logger: pino({ level: 'silent' }), signatures: { keys: [signingKey], mode: 'required' }, clock: () => Date.parse('2026-11-25T00:00:00Z') });
    const body = (requestId: string, value: string) => ({ requestId, tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value }], reason: 'Art. 17', requestedAt: '2026-11-24T12:00:00Z' });
    const withSignature = (record: ReturnType<typeof request>, header: string | undefined) => ({ ...record, ...(header === undefined ? {} : { headers: { 'ampseal-sig': header } }) });

    it('executes a request signed with the key', async () => {
      const record = request(body('req-signed', '1A2B3C4D'), 'req-signed');
      const out = await signed([withSignature(record, signRequest(signingKey, record.value))]);
      expect(JSON.parse(out[out.length - 1]!.value.toString())).toMatchObject({ requestId: 'req-signed', status: 'done', erased: 1 });
    });

    it('answers an unsigned, a forged and a tampered request with a failed bad_signature receipt and erases nothing', async () => {
      const victim = '5A6B7C8D';
      const [before] = await keyring.tokens([{ subject: { tenant: 'acme-cpo', kind: 'uid', value: victim }, at: 1 }]);
      const unsigned = request(body('req-unsigned', victim), 'req-unsigned');
      const forged = request(body('req-forged', victim), 'req-forged');
      const genuine = request(body('req-tampered', '9A9B9C9D'), 'req-tampered');
      const tampered = { ...genuine, value: Buffer.from(genuine.value.toString().replace('9A9B9C9D', victim)) };
      const out = await signed([
        withSignature(unsigned, undefined),
        withSignature(forged, signRequest(Buffer.from('not-the-key-but-32-bytes-long-too!!'), forged.value)),
        withSignature(tampered, signRequest(signingKey, genuine.value)),
      ]);
      expect(out.map((o) => o.topic)).toEqual([topics.erasureEvents, topics.erasureEvents, topics.erasureEvents]);
      expect(out.map((o) => JSON.parse(o.value.toString()))).toEqual(
        ['req-unsigned', 'req-forged', 'req-tampered'].map((requestId) => ({ version: 1, requestId, tenant: 'acme-cpo', action: 'erase', status: 'failed', error: 'bad_signature', completedAt: '2026-11-25T00:00:00.000Z', subjects: 0 })),
      );
      const [after] = await keyring.tokens([{ subject: { tenant: 'acme-cpo', kind: 'uid', value: victim }, at: 2 }]);
      expect(after).toEqual(before);
    });

    it('executes an unsigned request when signatures are off (rollout), and checks nothing without a key', async () => {
      const off = createRequestHandler({ keyring, topics, logger: pino({ level: 'silent' }), signatures: { keys: [signingKey], mode: 'off' } });
      const out = await off([request(body('req-off', '2A2B2C2D'), 'req-off')]);
      expect(JSON.parse(out[out.length - 1]!.value.toString())).toMatchObject({ requestId: 'req-off', status: 'done' });
      const none = createRequestHandler({ keyring, topics, logger: pino({ level: 'silent' }), signatures: { keys: [], mode: 'off' } });
      const plain = await none([request(body('req-none', '3A3B3C3D'), 'req-none')]);
      expect(JSON.parse(plain[plain.length - 1]!.value.toString())).toMatchObject({ requestId: 'req-none', status: 'done' });
    });
  });

  it('answers an invalid request with a failed receipt under its key, and never throws', async () => {
    const [out] = await handler([request({ tenant: 'acme-cpo', identifiers: [] }, 'req-bad')]);
    expect(out!.topic).toBe(topics.erasureEvents);
    expect(JSON.parse(out!.value.toString())).toMatchObject({ requestId: 'req-bad', status: 'failed', error: 'bad_request' });
  });

  it('echoes only a well-formed tenant name in a failed receipt (the field is unchecked)', async () => {
    const [out] = await handler([request({ tenant: 'uid 04A2B3C4 of someone', identifiers: [] }, 'req-odd')]);
    expect(JSON.parse(out!.value.toString())).toMatchObject({ requestId: 'req-odd', tenant: '', error: 'bad_request' });
  });
});

describe('admin API authentication', () => {
  const hash = (token: string) => createHash('sha256').update(token).digest();
  const operators = [
    { name: 'alice', tokenSha256: hash('alice-token-that-is-long-enough-0000') },
    { name: 'bob', tokenSha256: hash('bob-token-that-is-long-enough-000000') },
    { name: 'short', tokenSha256: hash('short-token') },
  ];
  it('names the operator whose exact bearer token is given, and nobody otherwise', () => {
    expect(authenticate('Bearer alice-token-that-is-long-enough-0000', operators)).toBe('alice');
    expect(authenticate('Bearer bob-token-that-is-long-enough-000000', operators)).toBe('bob');
    for (const header of [undefined, '', 'Bearer ', 'Bearer alice', 'bearer alice-token-that-is-long-enough-0000', 'alice-token-that-is-long-enough-0000', 'Bearer alice-token-that-is-long-enough-0000 ']) {
      expect(authenticate(header, operators)).toBeUndefined();
    }
  });

  it('refuses a token shorter than 32 characters even when its hash is listed (the file holds only hashes)', () => {
    expect(authenticate('Bearer short-token', operators)).toBeUndefined();
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
