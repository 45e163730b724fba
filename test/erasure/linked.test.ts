import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { adminSetUp } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, redisClient } from '../harness/clients';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { runAmpsealForExit as cli } from '../harness/processes';
import { useResources } from '../harness/resources';
import { transformWith } from '../harness/transform';

const resources = useResources({ budgetMs: 240_000 });
/** The official OCPI examples vendored in core's fixtures (services/core/src/__fixtures__/reference/README.md). */
const REFERENCE = join(__dirname, '..', '..', 'services', 'core', 'src', '__fixtures__', 'reference', 'ocpi221', 'examples');
const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/*
 * Keyring SPEC K37–K43 on the real stack: the pipeline records which identifiers one person's records carried together
 * (blind indexes only), `erasure plan` shows them, `erase --with-linked` erases them in one request, and nothing of them
 * is left in the index afterwards.
 */
describe('erase a person, not an identifier (co-occurrence index)', () => {
  const admin = adminSetUp(resources, ['alice']);
  const ADMIN_TOKEN = admin.tokens.alice!;
  const env = pipelineEnv({ ...admin.env, AMPSEAL_GROUP_ID: `linked-${hex(4)}` });
  const config = loadConfig(env);
  const { logger, lines } = captureLogger('warn');
  let adminBase = '';

  beforeAll(async () => {
    const shredder = createShredder(loadConfig({ ...env, AMPSEAL_GROUP_ID: `${config.groupId}-shredder` }), logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    adminBase = `http://127.0.0.1:${shredder.admin!.port}`;
    const pseudonymizer = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', pseudonymizer, (s) => s.lifecycle.stop());
    await pseudonymizer.lifecycle.start();
  });

  it('records a card with its eMAID and a vehicle with the same eMAID, plans them, erases all three with --with-linked, and leaves no link', async () => {
    const card = hex(7);
    const emaid = `NL-TNM-C${hex(4)}-K`;
    const vehicle = hex(6);
    // Two CDRs of one contract: charged with the RFID card, then with the car (Autocharge: the vehicle's MAC as token uid).
    const example = JSON.parse(readFileSync(join(REFERENCE, 'cdr_example.json'), 'utf8'));
    const cdr = (uid: string, type: string) => ({ ...example, id: `cdr-${hex(4)}`, cdr_token: { ...example.cdr_token, uid, type, contract_id: emaid } });
    const records = [cdr(card, 'RFID'), cdr(`VID:${vehicle}`, 'OTHER')].map((object) => ({
      key: object.id as string,
      value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object }),
    }));
    const kafka = kafkaClient('linked');
    await produce(kafka, config.topics.ocpiRaw, records);
    await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 2);

    // K25 K38: the index holds blind indexes and tokens, never a value.
    const redis = redisClient(resources);
    const indexKeys: string[] = [];
    for await (const keys of redis.scanStream({ match: 'ampseal:{acme-cpo}:c*', count: 1000 })) indexKeys.push(...(keys as string[]));
    expect(indexKeys.length).toBeGreaterThan(0);
    for (const key of indexKeys) {
      const type = await redis.type(key);
      const content = type === 'zset' ? (await redis.zrange(key, 0, -1)).join(' ') : type === 'string' ? ((await redis.get(key)) ?? '') : '';
      for (const clear of [card, emaid, emaid.replace(/-/g, ''), vehicle]) expect(`${key} ${content}`).not.toContain(clear);
    }

    // The plan, typed by the eMAID alone: the card and the vehicle are its links, shown by kind, token and ref only.
    const plan = await cli(env, 'erasure', 'plan', '--tenant', 'acme-cpo', '--id', `emaid:${emaid}`, '--format', 'json');
    // No log JSON and nothing of the person on stderr (a library's own console warning, such as ioredis' about an
    // unneeded password when the local Redis runs without one, is the environment's, not the command's).
    expect(plan.stderr).not.toContain('{"level"');
    for (const clear of [card, vehicle, emaid]) expect(plan.stderr).not.toContain(clear);
    expect(plan.code).toBe(0);
    const report = JSON.parse(plan.stdout);
    expect(report.identifiers[0].linked.map((l: { kind: string }) => l.kind).sort()).toEqual(['uid', 'vehicle']);
    expect(report.withLinked).toEqual({ typed: 1, linked: 2, total: 3 });
    expect(report.clearCopies.map((c: { topic: string; exists: boolean }) => [c.topic, c.exists])).toEqual([
      [config.topics.ocppRaw, true],
      [config.topics.ocpiRaw, true],
      [config.topics.quarantine, true],
      [config.topics.erasureRequests, true],
    ]);
    expect(report.clearCopies[1].lastCopyAgesOutBy).toEqual(expect.any(String));
    expect(plan.stdout).not.toContain(card);
    expect(plan.stdout).not.toContain(vehicle);
    // Typing all three: the text plan names each typed one, and matches the partners the operator typed.
    const text = await cli(env, 'erasure', 'plan', '--tenant', 'acme-cpo', '--id', `uid:${card}`, '--id', `emaid:${emaid}`, '--id', `vehicle:${vehicle}`);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('= #2, typed too');
    process.stdout.write(`\n--- erasure plan (card, eMAID, vehicle) ---\n${text.stdout}---\n`);

    // One request erases the three; the receipt counts the two linked ones and retires their tokens.
    const requestId = `person-${hex(4)}`;
    const erase = await cli(env, 'erase', '--tenant', 'acme-cpo', '--id', `emaid:${emaid}`, '--with-linked', '--reason', 'Art. 17', '--request-id', requestId, '--wait');
    expect(erase.stderr).not.toContain('{"level"');
    expect(erase.stdout).toContain(`${requestId}: erase done`);
    expect(erase.stdout).toContain('erased 3, already erased 0 (2 linked), tokens retired 3');

    // Replay: each of the three is ERASED; the index holds no link for any of them.
    const keyring = await openKeyRing('redis', config, logger);
    resources.add('keyring', keyring, (k) => k.stop());
    const replayed = await transformWith(keyring).run(records.map((r, i) => ({ eventId: `replay-${i}`, value: r.value })));
    const statuses = replayed.flatMap((r) => (r.status === 'emitted' ? r.analytics!.identifiers.map((id) => `${id.kind}:${id.status}`) : [r.status]));
    expect(statuses.sort()).toEqual(['emaid:ERASED', 'emaid:ERASED', 'uid:ERASED', 'vehicle:ERASED']);
    const after = await keyring.plan('acme-cpo', [
      { kind: 'uid', value: card },
      { kind: 'emaid', value: emaid.replace(/-/g, '') },
      { kind: 'vehicle', value: vehicle },
    ]);
    expect(after.map((s) => s.linked)).toEqual([[], [], []]);
    expect(after.map((s) => s.token)).toEqual([null, null, null]);
    expect(lines.join('')).not.toContain(card);
  }, 200_000);

  it('answers at once with what to do when the shredder never created its topics, in plain sentences only', async () => {
    const missing = { ...env, AMPSEAL_TOPIC_ERASURE_EVENTS: `missing-${hex(4)}.events`, AMPSEAL_TOPIC_ERASURE_REQUESTS: `missing-${hex(4)}.requests` };
    for (const args of [
      ['erasure', 'status', 'unknown-id'],
      ['erase', '--tenant', 'acme-cpo', '--id', `uid:${hex(7)}`, '--reason', 'x', '--wait', '--timeout', '5'],
    ]) {
      const result = await cli(missing, ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^ampseal: topic .* does not exist on the broker: start the shredder first/);
      expect(result.stderr).not.toContain('{"level"');
    }
  }, 60_000);

  it('refuses a reused request id with other subjects: 409 from the admin API, a failed receipt through the CLI', async () => {
    const first = hex(7);
    const requestId = `reuse-${hex(4)}`;
    const done = await cli(env, 'erase', '--tenant', 'acme-cpo', '--id', `uid:${first}`, '--reason', 'ticket 42', '--request-id', requestId, '--wait');
    expect(done.stdout).toContain(`${requestId}: erase done`);

    const other = await cli(env, 'erase', '--tenant', 'acme-cpo', '--id', `uid:${hex(7)}`, '--reason', 'ticket 42 again', '--request-id', requestId, '--wait');
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`${requestId}: failed (request_id_reused)`);

    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const body = (value: string) => JSON.stringify({ requestId, tenant: 'acme-cpo', identifiers: [{ kind: 'uid', value }], reason: 'ticket 42' });
    const conflict = await fetch(`${adminBase}/admin/v1/requests`, { method: 'POST', headers: auth, body: body(hex(7)) });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: 'request_id_reused' });
    // The same request again is not a conflict: it is accepted and answers with the stored result.
    const same = await fetch(`${adminBase}/admin/v1/requests`, { method: 'POST', headers: auth, body: body(first) });
    expect(same.status).toBe(202);
  }, 120_000);
});
