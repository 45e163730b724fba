import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { roamingTopic } from '@ampseal/core';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { consumeUntil, produce, waitForTopics } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { AMPSEAL_BIN } from '../harness/processes';
import { useResources } from '../harness/resources';

const run = promisify(execFile);
const resources = useResources();
/** The official OCPI examples vendored in core's fixtures (services/core/src/__fixtures__/reference/README.md). */
const REFERENCE = join(__dirname, '..', '..', 'services', 'core', 'src', '__fixtures__', 'reference', 'ocpi221', 'examples');
const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/*
 * Decided in services/core/src/audiences/roaming.ts and README "Roaming partners": a roaming CDR is the issuing
 * eMSP's own record of its own customer (billing, legal claims: GDPR Art. 17(3)(b)/(e), Art. 18(2)), so an
 * erasure stops the subject's tokens everywhere but not the CDR's delivery to that issuer, and never routes
 * it anywhere else.
 */
describe('erasure and roaming (Art. 17/19)', () => {
  it("still delivers an erased card's CDR to its issuer only, while analytics shows the card ERASED", async () => {
    const env = pipelineEnv({ AMPSEAL_GROUP_ID: `roaming-erase-${hex(4)}` });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const shredder = createShredder(loadConfig({ ...env, AMPSEAL_GROUP_ID: `${config.groupId}-shredder` }), logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    const pseudonymizer = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', pseudonymizer, (s) => s.lifecycle.stop());
    await pseudonymizer.lifecycle.start();

    // Erase the card through the shredder (CLI → request topic → key ring), and read its receipt.
    const card = hex(7);
    const requestId = `erase-${hex(4)}`;
    const { stdout } = await run(
      process.execPath,
      [AMPSEAL_BIN, 'erase', '--tenant', 'acme-cpo', '--id', `uid:${card}`, '--reason', 'Art. 17 request', '--request-id', requestId, '--wait'],
      { env: { ...process.env, ...env } },
    );
    expect(stdout).toContain(`${requestId}: erase done`);
    expect(stdout).toContain('roaming CDRs still go to the token issuer only: notify the issuer (GDPR Art. 19)');
    const kafka = kafkaClient('roaming-erase');
    const receipts = await consumeUntil(kafka, [config.topics.erasureEvents], (s) => s.some((m) => m.key === requestId));
    expect(JSON.parse(receipts.find((m) => m.key === requestId)!.value!.toString())).toMatchObject({ status: 'done', roaming: 'issuer_only_notify_issuer' });

    // Then a CDR of that card (its charging ended before the erasure) and one of another issuer's card.
    const example = JSON.parse(readFileSync(join(REFERENCE, 'cdr_example.json'), 'utf8'));
    const erased = { ...example, id: `cdr-${hex(4)}`, cdr_token: { ...example.cdr_token, country_code: 'DE', party_id: 'TNM', uid: card.toLowerCase() } };
    const other = { ...example, id: `cdr-${hex(4)}`, cdr_token: { ...example.cdr_token, country_code: 'NL', party_id: 'EMS', uid: hex(7) } };
    await produce(
      kafka,
      config.topics.ocpiRaw,
      [erased, other].map((cdr) => ({ key: cdr.id, value: JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: cdr }) })),
    );
    const toDE = roamingTopic(config.topics.roamingTemplate, 'DE-TNM');
    const toNL = roamingTopic(config.topics.roamingTemplate, 'NL-EMS');
    await waitForTopics(kafka, [toDE, toNL]);
    const seen = await consumeUntil(kafka, [toDE, toNL, config.topics.analytics], (s) => s.filter((m) => m.topic === config.topics.analytics).length >= 2 && s.filter((m) => m.topic !== config.topics.analytics).length >= 2);

    // Roaming: the issuer gets its own customer's CDR, card uid clear; no other partner's topic holds it.
    const onDE = seen.filter((m) => m.topic === toDE).map((m) => JSON.parse(m.value!.toString()));
    expect(onDE).toHaveLength(1);
    expect(onDE[0]).toMatchObject({ recipient: 'DE-TNM', object: { id: erased.id, cdr_token: { uid: card.toLowerCase() } } });
    const onNL = seen.filter((m) => m.topic === toNL);
    expect(onNL.map((m) => m.key)).toEqual([other.id]);
    for (const m of onNL) expect(m.value!.toString().toUpperCase()).not.toContain(card);

    // Analytics: the erased card has no token any more.
    const registry = registryClient();
    const events = await Promise.all(seen.filter((m) => m.topic === config.topics.analytics).map((m) => registry.decode(m.value!)));
    const mine = events.find((e) => e.identifiers.some((i: { field: string; status: string }) => i.status === 'ERASED'));
    expect(mine).toBeDefined();
    expect(mine.identifiers.find((i: { kind: string }) => i.kind === 'uid')).toMatchObject({ status: 'ERASED', token: null });
    const theirs = events.find((e) => e !== mine)!;
    expect(theirs.identifiers.find((i: { kind: string }) => i.kind === 'uid')).toMatchObject({ status: 'TOKENIZED' });
  }, 120_000);
});
