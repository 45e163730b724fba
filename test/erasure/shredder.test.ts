import { randomBytes } from 'node:crypto';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { adminSetUp } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { consumeUntil } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { runAmpsealForExit as cli } from '../harness/processes';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

const resources = useResources({ budgetMs: 180_000 });

describe('shredder: erasure requests, receipts, status, admin API', () => {
  const admin = adminSetUp(resources, ['alice']);
  const ADMIN_TOKEN = admin.tokens.alice!;
  const env = pipelineEnv({ ...admin.env, AMPSEAL_GROUP_ID: `shredder-${randomBytes(4).toString('hex')}` });
  const config = loadConfig(env);
  const { logger, lines } = captureLogger('info');
  let base = '';

  beforeAll(async () => {
    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    base = `http://127.0.0.1:${shredder.admin!.port}`;
  });

  it('erases a subject from the CLI, waits for the receipt, reports it by status, and is idempotent by request id', async () => {
    const idTag = randomBytes(7).toString('hex').toUpperCase();
    // The subject has a live key and a token first, as after pseudonymization.
    const keyring = await openKeyRing('redis', config, logger);
    resources.add('keyring', keyring, (k) => k.stop());
    const [result] = await transformWith(keyring).run([{ eventId: 'x', value: authorizeEnvelope(idTag, '2026-11-24T10:00:00Z') }]);
    const token = result!.status === 'emitted' ? result!.analytics!.identifiers[0]!.token : undefined;
    expect(token).toEqual(expect.any(String));

    const requestId = `req-${randomBytes(4).toString('hex')}`;
    const erase = await cli(env, 'erase', '--tenant', 'acme-cpo', '--id', `uid:${idTag.toLowerCase()}`, '--reason', 'GDPR Art. 17 ticket 1', '--request-id', requestId, '--wait');
    expect(erase.stderr).toBe('');
    expect(erase.code).toBe(0);
    expect(erase.stdout).toMatch(new RegExp(`^${requestId}: erase done at .* \\(erased 1, already erased 0, tokens retired 1, erasedAt `));

    const status = await cli(env, 'erasure', 'status', requestId);
    expect(status.stdout).toContain(`${requestId}: erase done`);
    expect((await keyring.currentTokens('acme-cpo', [{ kind: 'uid', value: idTag }]))[0]).toMatchObject({ token: null });

    // The same request id again: same receipt, nothing erased twice.
    const again = await cli(env, 'erase', '--tenant', 'acme-cpo', '--id', `uid:${idTag}`, '--reason', 'retry', '--request-id', requestId, '--wait');
    const withoutCompletion = (text: string) => text.replace(/done at \S+/, 'done');
    expect(withoutCompletion(again.stdout)).toBe(withoutCompletion(erase.stdout));
    const receipts = await consumeUntil(kafkaClient('receipts'), [config.topics.erasureEvents], (s) => s.filter((m) => m.key === requestId).length >= 2);
    const [first, second] = receipts.filter((m) => m.key === requestId).map((m) => JSON.parse(m.value!.toString()));
    expect(first.retiredTokens).toEqual([token]);
    expect(second).toMatchObject({ retiredTokens: first.retiredTokens, erased: first.erased, erasedAt: first.erasedAt, status: 'done' });

    // The journal holds the tombstone; the log holds no identifier and no token.
    const journal = await consumeUntil(kafkaClient('journal'), [config.topics.tombstones], (s) => s.some((m) => m.key?.endsWith(`:${requestId}`) ?? false));
    expect(journal.some((m) => JSON.parse(m.value!.toString()).requestId === requestId)).toBe(true);
    const log = lines.join('');
    expect(log).toContain('"event":"subject_request.done"');
    expect(log).not.toContain(idTag);
    expect(log).not.toContain(token!);
  }, 120_000);

  it('refuses unauthenticated admin calls with 401 and publishes nothing', async () => {
    const body = JSON.stringify({ tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value: 'DEADBEEF' }], reason: 'x', requestId: 'never-sent' });
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`]) {
      const res = await fetch(`${base}/admin/v1/requests`, { method: 'POST', body, headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
    }
    expect((await fetch(`${base}/admin/v1/requests/never-sent`)).status).toBe(401);
    const requests = await consumeUntil(kafkaClient('requests'), [config.topics.erasureRequests], () => false, 2_000);
    expect(requests.some((m) => m.key === 'never-sent')).toBe(false);
  });

  it('accepts an authenticated erasure through the admin API and reports pending, then done', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const bad = await fetch(`${base}/admin/v1/requests`, { method: 'POST', headers: auth, body: JSON.stringify({ tenant: 'acme-cpo', identifiers: [{ kind: 'nope', value: 'x' }], reason: 'x' }) });
    expect(bad.status).toBe(400);
    const res = await fetch(`${base}/admin/v1/requests`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ tenant: 'acme-cpo', identifiers: [{ kind: 'emaid', value: `NL-TNM-C${randomBytes(4).toString('hex')}-K` }], reason: 'Art. 17' }),
    });
    expect(res.status).toBe(202);
    const { requestId } = (await res.json()) as { requestId: string };
    let status: { status: string; alreadyErased?: number; erased?: number } = { status: 'pending' };
    for (let i = 0; i < 100 && status.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await (await fetch(`${base}/admin/v1/requests/${requestId}`, { headers: auth })).json()) as typeof status;
    }
    // A subject never seen is still tombstoned, so a later first sight cannot mint a key for old events.
    expect(status).toMatchObject({ status: 'done', erased: 1 });
    expect(lines.join('')).toMatch(/"event":"admin.call","operator":"alice","remote":"127.0.0.1","method":"POST","route":"\/admin\/v1\/requests","status":202/);
    // The request went to the topic signed, as every request from the admin API and the CLI does.
    const written = await consumeUntil(kafkaClient('signed'), [config.topics.erasureRequests], (s) => s.some((m) => m.key === requestId));
    expect(written.find((m) => m.key === requestId)!.headers['ampseal-sig']).toMatch(/^v1=[A-Za-z0-9_-]{43}$/);
  }, 30_000);
});
