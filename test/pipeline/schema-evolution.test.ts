import { registryClient } from '../harness/clients';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmpsealError, ANALYTICS_SCHEMA_FILE, ANALYTICS_SCHEMA_HISTORY } from '@ampseal/core';
import { registerSchema } from '@ampseal/kafka';
import { analyticsType, avroTypeOf } from '@ampseal/schemas/codec';
import { endpoints } from '../harness/endpoints';
import { uniqueName } from '../harness/resources';

// Registry calls only; a generous budget for a loaded machine, never a timing assertion.
jest.setTimeout(60_000);

describe('analytics schema evolution (real registry, BACKWARD)', () => {
  it('registers every schema version in order on one subject, and a consumer on the newest reads older records', async () => {
    const url = endpoints().schemaRegistryUrl;
    const topic = uniqueName('charging.sessions.analytics');
    const files = [...ANALYTICS_SCHEMA_HISTORY, ANALYTICS_SCHEMA_FILE];
    const ids: number[] = [];
    for (const file of files) ids.push((await registerSchema(url, topic, file)).id);
    expect(new Set(ids).size).toBe(files.length);

    // A v1 record (written by an older ampseal) decodes through the registry, and the newest reader resolves it
    // with the new field's default.
    const v1 = avroTypeOf(files[0]!);
    const latest = analyticsType();
    const old = v1.random() as unknown as Record<string, unknown>;
    const registry = registryClient(url);
    const wire = await registry.encode(ids[0]!, old);
    expect(await registry.decode(wire)).toEqual(v1.fromBuffer(v1.toBuffer(old)));
    const resolved = latest.fromBuffer(v1.toBuffer(old), latest.createResolver(v1)) as Record<string, unknown>;
    expect(resolved.privateSite).toBe(false);
  });

  it('refuses a schema that breaks BACKWARD compatibility with CONFIG_INVALID, naming the subject', async () => {
    const url = endpoints().schemaRegistryUrl;
    const topic = uniqueName('charging.sessions.analytics');
    await registerSchema(url, topic, ANALYTICS_SCHEMA_FILE);
    const broken = JSON.parse(readFileSync(ANALYTICS_SCHEMA_FILE, 'utf8')) as { fields: object[] };
    broken.fields.push({ name: 'mandatoryWithoutDefault', type: 'string' });
    const file = join(tmpdir(), `${uniqueName('broken')}.avsc`);
    writeFileSync(file, JSON.stringify(broken));
    const error = await registerSchema(url, topic, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmpsealError);
    expect((error as AmpsealError).message).toContain(`${topic}-value is not BACKWARD compatible`);
  });

  it('several pipelines starting together on a new subject all register it and get the same id (the loser of the compatibility race tries again)', async () => {
    const url = endpoints().schemaRegistryUrl;
    // Apicurio answered 409 to all but one of four clients setting a new subject's compatibility at once in about
    // half of the rounds tried, and the pipeline stopped at start; ten rounds of four make a lost race near certain.
    for (let round = 0; round < 10; round++) {
      const topic = uniqueName('charging.sessions.analytics');
      const results = await Promise.all(Array.from({ length: 4 }, () => registerSchema(url, topic, ANALYTICS_SCHEMA_FILE)));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results[0]!.subject).toBe(`${topic}-value`);
    }
  });

  it('a subject an operator set to another compatibility stops the start with CONFIG_INVALID once the attempts are over', async () => {
    const url = endpoints().schemaRegistryUrl;
    const topic = uniqueName('charging.sessions.analytics');
    await registerSchema(url, topic, ANALYTICS_SCHEMA_FILE);
    const set = await fetch(`${url}/config/${encodeURIComponent(`${topic}-value`)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'NONE' }),
    });
    expect(set.status).toBe(200);
    const error = await registerSchema(url, topic, ANALYTICS_SCHEMA_FILE).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AMPSEAL_ERR_CONFIG_INVALID' });
    expect((error as Error).message).toContain(`${topic}-value is not set to BACKWARD compatibility`);
  });
});
