import { randomBytes } from 'node:crypto';
import { buildSubjectRequest, signRequest, type SubjectRequest } from '@ampseal/core';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder, requestRecord } from '@ampseal/shredder';
import { adminSetUp } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

/**
 * Whoever can write the requests topic could erase anyone; with a signing key the shredder acts only on requests
 * signed with it (the admin API and the CLI sign), and answers anything else with a failed `bad_signature` receipt.
 */
const resources = useResources({ budgetMs: 120_000 });

function eraseRequest(requestId: string, idTag: string): SubjectRequest {
  const built = buildSubjectRequest({ requestId, tenant: 'acme-cpo', action: 'erase', identifiers: [{ kind: 'uid', value: idTag }], reason: 'Art. 17' });
  if (!built.ok) throw new Error(built.problem);
  return built.value;
}

describe('signed erasure requests on the real stack', () => {
  const admin = adminSetUp(resources);
  // The signing key only: the shredder requires signatures by default once it has a key.
  const env = pipelineEnv({ AMPSEAL_REQUEST_SIGNING_KEY_FILE: admin.env.AMPSEAL_REQUEST_SIGNING_KEY_FILE!, AMPSEAL_GROUP_ID: `shredder-${randomBytes(4).toString('hex')}` });
  const config = loadConfig(env);
  const { logger, lines } = captureLogger('info');
  let opsPort = 0;

  beforeAll(async () => {
    expect(config.requestSignatures).toBe('required');
    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    opsPort = shredder.ops.port;
  });

  it('answers a forged, an unsigned and a tampered request with a failed receipt and erases nothing; a signed one is executed', async () => {
    const keyring = await openKeyRing('redis', config, logger);
    resources.add('keyring', keyring, (k) => k.stop());
    const victim = randomBytes(7).toString('hex').toUpperCase();
    const other = randomBytes(7).toString('hex').toUpperCase();
    const [result] = await transformWith(keyring).run([{ eventId: 'x', value: authorizeEnvelope(victim, '2026-11-24T10:00:00Z') }]);
    const token = result!.status === 'emitted' ? result!.analytics!.identifiers[0]!.token : undefined;
    expect(token).toEqual(expect.any(String));

    const suffix = randomBytes(4).toString('hex');
    const topic = config.topics.erasureRequests;
    const unsigned = requestRecord(topic, eraseRequest(`forged-unsigned-${suffix}`, victim), undefined);
    const forged = requestRecord(topic, eraseRequest(`forged-key-${suffix}`, victim), Buffer.from(randomBytes(48).toString('base64')));
    // A genuine signature of a request for another subject, moved onto a request for the victim.
    const genuine = requestRecord(topic, eraseRequest(`forged-moved-${suffix}`, other), Buffer.from(admin.signingKey));
    const tampered = { ...genuine, value: JSON.stringify(eraseRequest(`forged-moved-${suffix}`, victim)) };
    expect(tampered.value).not.toBe(genuine.value);
    const signed = requestRecord(topic, eraseRequest(`signed-${suffix}`, other), Buffer.from(admin.signingKey));
    expect(signed.headers!['ampseal-sig']).toBe(signRequest(Buffer.from(admin.signingKey), signed.value));
    await produce(kafkaClient('forger'), topic, [unsigned, forged, tampered, signed]);

    const ids = [unsigned.key, forged.key, tampered.key, signed.key];
    const receipts = await consumeUntil(kafkaClient('receipts'), [config.topics.erasureEvents], (s) => ids.every((id) => s.some((m) => m.key === id)));
    const byId = new Map(receipts.map((m) => [m.key, JSON.parse(m.value!.toString()) as Record<string, unknown>]));
    for (const id of [unsigned.key, forged.key, tampered.key]) {
      expect(byId.get(id)).toMatchObject({ requestId: id, status: 'failed', error: 'bad_signature', subjects: 0 });
    }
    expect(byId.get(signed.key)).toMatchObject({ requestId: signed.key, status: 'done', erased: 1 });

    // The victim's key is alive: the same token as before, never a tombstone in the journal for the forged requests.
    expect((await keyring.currentTokens('acme-cpo', [{ kind: 'uid', value: victim }]))[0]).toMatchObject({ token, erasedAt: null });
    expect((await keyring.currentTokens('acme-cpo', [{ kind: 'uid', value: other }]))[0]).toMatchObject({ token: null });
    const journal = await consumeUntil(kafkaClient('journal'), [config.topics.tombstones], (s) => s.some((m) => m.key?.endsWith(`:${signed.key}`) ?? false));
    expect(journal.filter((m) => m.key?.includes(':forged-'))).toEqual([]);

    // Forged requests are counted by reason, for the alert on them (charts/ampseal PrometheusRule).
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^ampseal_subject_requests_total\{action="erase",status="failed",reason="bad_signature",service="shredder"\} 3$/m);
    expect(metrics).toMatch(/^ampseal_subject_requests_total\{action="erase",status="done",reason="",service="shredder"\} 1$/m);
    expect(metrics).toMatch(/^ampseal_subject_request_age_seconds_count\{service="shredder"\} 1$/m);

    const log = lines.join('');
    expect(log).toMatch(/"event":"subject_request.failed","requestId":"forged-unsigned-[0-9a-f]+","reason":"bad_signature","signature":"unsigned"/);
    expect(log).toMatch(/"requestId":"forged-key-[0-9a-f]+","reason":"bad_signature","signature":"mismatch"/);
    expect(log).not.toContain(victim);
  }, 90_000);
});
