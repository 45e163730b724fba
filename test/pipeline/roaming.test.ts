import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { roamingTopic } from '@ampseal/core';
import { TopicDirectory } from '@ampseal/kafka';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig, type Config } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { consumeUntil, createTopics, produce, topicAdmin, waitForTopics, type Seen } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';

const resources = useResources();
/** The official OCPI examples vendored in core's fixtures (services/core/src/__fixtures__/reference/README.md). */
const REFERENCE = join(__dirname, '..', '..', 'services', 'core', 'src', '__fixtures__', 'reference', 'ocpi221', 'examples');
const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/** The OCPI 2.2.1 example CDR with its own id and the token of the given issuer. */
function cdrOf(country: string, party: string): { id: string; cdr_token: Record<string, string> } {
  const cdr = JSON.parse(readFileSync(join(REFERENCE, 'cdr_example.json'), 'utf8'));
  return { ...cdr, id: `cdr-${hex(4)}`, cdr_token: { ...cdr.cdr_token, country_code: country, party_id: party, uid: hex(7) } };
}
const envelope = (cdr: object) => JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: cdr });

async function start(config: Config) {
  const { logger } = captureLogger('warn');
  const service = createPseudonymizer(config, logger);
  resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
  await service.lifecycle.start();
}

/** Every record of one recipient topic, read_committed: the recipient and token issuer of each. */
function issuers(seen: readonly Seen[], topic: string): string[] {
  return seen
    .filter((m) => m.topic === topic)
    .map((m) => {
      const body = JSON.parse(m.value!.toString()) as { recipient: string; object: { cdr_token: Record<string, string> } };
      const token = body.object.cdr_token;
      return `${body.recipient} ${token.country_code!.toUpperCase()}-${token.party_id!.toUpperCase()}`;
    });
}

describe('roaming output isolates partners: one topic per token issuer (real broker)', () => {
  it("delivers each issuer's CDRs only on its own topic and quarantines a malformed issuer as bad_issuer", async () => {
    const config = loadConfig(pipelineEnv());
    await start(config);
    const kafka = kafkaClient('roaming');
    const de = [cdrOf('DE', 'TNM'), cdrOf('de', 'tnm'), cdrOf('DE', 'TNM')];
    const nl = [cdrOf('NL', 'EMS'), cdrOf('NL', 'EMS')];
    // Both used to read "N--L": two issuers under one routing key.
    const malformed = [cdrOf('N-', 'L'), cdrOf('N', '-L'), cdrOf('NL', ' EM'), cdrOf('', '')];
    const records = [...de, ...nl, ...malformed].map((cdr) => ({ key: cdr.id, value: envelope(cdr) }));
    await produce(kafka, config.topics.ocpiRaw, records);

    const toDE = roamingTopic(config.topics.roamingTemplate, 'DE-TNM');
    const toNL = roamingTopic(config.topics.roamingTemplate, 'NL-EMS');
    await waitForTopics(kafka, [toDE, toNL]);
    const seen = await consumeUntil(
      kafka,
      [toDE, toNL, config.topics.quarantine],
      (s) => s.filter((m) => m.topic === toDE).length >= 3 && s.filter((m) => m.topic === toNL).length >= 2 && s.filter((m) => m.topic === config.topics.quarantine).length >= 4,
    );

    expect(issuers(seen, toDE)).toEqual(Array(3).fill('DE-TNM DE-TNM'));
    expect(issuers(seen, toNL)).toEqual(Array(2).fill('NL-EMS NL-EMS'));
    expect(seen.filter((m) => m.topic === toDE).map((m) => m.key).sort()).toEqual(de.map((c) => c.id).sort());
    const quarantined = seen.filter((m) => m.topic === config.topics.quarantine);
    expect(quarantined.map((m) => m.key).sort()).toEqual(malformed.map((c) => c.id).sort());
    for (const m of quarantined) {
      expect(m.headers['ampseal.reason']).toBe('bad_issuer');
      expect(m.headers['ampseal.keyword']).toBe('pattern');
      expect(['/cdr_token/country_code', '/cdr_token/party_id']).toContain(m.headers['ampseal.pointer']);
    }
    // No topic was made for a malformed issuer.
    const admin = topicAdmin(kafka);
    const topics = await admin.list().finally(() => admin.stop());
    const prefix = config.topics.roamingTemplate.split('{recipient}')[0]!;
    expect(topics.filter((t) => t.startsWith(prefix)).sort()).toEqual([toDE, toNL].sort());
  }, 90_000);

  it('with topic creation off, quarantines as unknown_recipient a recipient without a topic or outside the allow-list, and keeps the partition flowing', async () => {
    const config = loadConfig(
      pipelineEnv({ AMPSEAL_CREATE_TOPICS: 'false', AMPSEAL_GROUP_ID: `roaming-off-${hex(4)}`, AMPSEAL_ROAMING_RECIPIENTS: 'de-tnm,BE-BEC' }),
    );
    const kafka = kafkaClient('roaming-off');
    const [toDE, toNL, toBE] = ['DE-TNM', 'NL-EMS', 'BE-BEC'].map((r) => roamingTopic(config.topics.roamingTemplate, r)) as [string, string, string];
    // What an operator provisions: the service's topics and two partners' topics. NL-EMS has a topic but is not
    // on the allow-list; BE-BEC is allowed but has no topic yet.
    const { topics } = config;
    await createTopics(kafka, resources, [
      { topic: topics.ocppRaw },
      { topic: topics.ocpiRaw },
      { topic: topics.analytics },
      { topic: topics.quarantine },
      { topic: topics.erasureEvents },
      { topic: toDE },
      { topic: toNL },
    ]);
    await start(config);
    // One partition: the refused recipients sit between deliverable records.
    const records = [cdrOf('DE', 'TNM'), cdrOf('NL', 'EMS'), cdrOf('BE', 'BEC'), cdrOf('DE', 'TNM')];
    await produce(kafka, topics.ocpiRaw, records.map((cdr) => ({ key: 'one-partition', value: envelope(cdr) })));

    const seen = await consumeUntil(
      kafka,
      [toDE, toNL, topics.quarantine],
      (s) => s.filter((m) => m.topic === toDE).length >= 2 && s.filter((m) => m.topic === topics.quarantine).length >= 2,
    );
    expect(issuers(seen, toDE)).toEqual(['DE-TNM DE-TNM', 'DE-TNM DE-TNM']);
    expect(seen.filter((m) => m.topic === toNL)).toEqual([]);
    const quarantined = seen.filter((m) => m.topic === topics.quarantine);
    expect(quarantined.map((m) => m.headers['ampseal.reason'])).toEqual(['unknown_recipient', 'unknown_recipient']);
    expect(quarantined.map((m) => JSON.parse(m.value!.toString()).object.id)).toEqual([records[1]!.id, records[2]!.id]);
    const admin = topicAdmin(kafka);
    const listed = await admin.list().finally(() => admin.stop());
    expect(listed).not.toContain(toBE);
  }, 90_000);

  it('lets two instances create one recipient topic at the same moment (already exists is success), and sees a topic provisioned later', async () => {
    const kafka = kafkaClient('directory');
    const topic = `t-${hex(6)}.ocpi.roaming.NL-TNM.v1`;
    const [a, b] = [0, 1].map(() => resources.add('directory', new TopicDirectory({ kafka, create: true, partitions: 1 }), (d) => d.stop()));
    const [seenByA, seenByB] = await Promise.all([a!.existing([topic]), b!.existing([topic])]);
    expect([seenByA.has(topic), seenByB.has(topic)]).toEqual([true, true]);
    resources.add('topics', [topic], async (names) => {
      const admin = topicAdmin(kafka);
      await admin.delete(names).finally(() => admin.stop());
    });

    // Creation off: missing until provisioned, then found once the re-check interval has passed.
    let now = 0;
    const off = resources.add('directory', new TopicDirectory({ kafka, create: false, partitions: 1, missingTtlMs: 1_000, clock: () => now }), (d) => d.stop());
    const later = `t-${hex(6)}.ocpi.roaming.DE-TNM.v1`;
    expect((await off.existing([later])).has(later)).toBe(false);
    await createTopics(kafka, resources, [{ topic: later }]);
    expect((await off.existing([later])).has(later)).toBe(false); // within the interval: not asked again
    now = 1_000;
    expect((await off.existing([later])).has(later)).toBe(true);
  }, 60_000);
});
