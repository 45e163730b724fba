import type { CooccurrenceGroup, IdentifierKind, TokenRequest } from '@ampseal/core';
import { redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, T0, keyPrefix, keyRing, keysUnder } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);

/**
 * What the key ring keeps in Redis per subject (docs/capacity.md, "Redis memory per 1,000 subjects"), measured with
 * MEMORY USAGE on the real layout (redis-store.ts): 1,000 cards, 600 of them seen with a contract id (eMAID) in the
 * same record, 400 also with a parent group id, the links a CDR or an OCPP authorization produces (K37). 2,000
 * subjects in all. The bounds are generous: they catch a layout that grows (a value kept twice, a new per-subject
 * key), not a Redis version's encoding details. The figures are printed for the capacity model.
 */
const CARDS = 1_000;
const WITH_CONTRACT = 600;
const WITH_GROUP = 400;

function uid(i: number): string {
  return `04${(0x1a2b3c4d + i * 7919).toString(16).toUpperCase().padStart(8, '0')}9F80`;
}

describe('key ring memory in Redis (real Redis + local-kms)', () => {
  it('a subject costs under 600 bytes in Redis, its co-occurrence links under 1,000 more', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME] });
    await ring.start();

    const groups: Array<Array<{ kind: IdentifierKind; value: string }>> = [];
    for (let i = 0; i < CARDS; i++) {
      const group: Array<{ kind: IdentifierKind; value: string }> = [{ kind: 'uid', value: uid(i) }];
      if (i < WITH_CONTRACT) group.push({ kind: 'emaid', value: `DETNMC${String(10_000_000 + i)}X` });
      if (i < WITH_GROUP) group.push({ kind: 'group', value: `G${(0xa0000000 + i).toString(16).toUpperCase()}7E` });
      groups.push(group);
    }
    const requests: TokenRequest[] = groups.flat().map((s) => ({ subject: { tenant: ACME, ...s }, at: T0 }));
    const subjects = requests.length;
    expect(subjects).toBe(CARDS + WITH_CONTRACT + WITH_GROUP);
    const outcomes = await ring.tokens(requests);
    const tokens = outcomes.map((o) => (o.status === 'TOKENIZED' ? o.token : ''));
    expect(tokens.every((t) => t !== '')).toBe(true);
    let at = 0;
    const linked: CooccurrenceGroup[] = groups.map((group) => ({
      tenant: ACME,
      subjects: group.map((s) => ({ ...s, token: tokens[at++]! })),
    }));
    await ring.cooccurred(linked);

    const base = `${prefix}{${ACME}}:`;
    const keys = await keysUnder(redis, `${base}*`);
    const bytes = { s: 0, c: 0, ct: 0, cidx: 0, keyset: 0 };
    const count = { s: 0, c: 0, ct: 0, cidx: 0, keyset: 0 };
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const sizes = ((await pipeline.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    keys.forEach((key, i) => {
      const rest = key.slice(base.length);
      const kind = (rest === 'cidx' || rest === 'keyset' ? rest : rest.slice(0, rest.indexOf(':'))) as keyof typeof bytes;
      expect(Object.keys(bytes)).toContain(kind);
      bytes[kind] += sizes[i]!;
      count[kind]++;
    });
    // A card seen alone has no links: only the subjects of groups of two or more get c, ct and a cidx member.
    const linkedSubjects = WITH_GROUP * 3 + (WITH_CONTRACT - WITH_GROUP) * 2;
    expect(count).toEqual({ s: subjects, c: linkedSubjects, ct: linkedSubjects, cidx: 1, keyset: 1 });

    const per = (n: number) => n / subjects;
    const subjectBytes = per(bytes.s);
    const linkBytes = per(bytes.c + bytes.ct + bytes.cidx);
    process.stdout.write(
      `[capacity] Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}: ${subjects} subjects (${CARDS} cards, ${WITH_CONTRACT} with an eMAID, ${WITH_GROUP} also with a group id)\n` +
        `[capacity]   subject hash s:  ${subjectBytes.toFixed(0)} B per subject\n` +
        `[capacity]   links c: ${per(bytes.c).toFixed(0)} B, ct: ${per(bytes.ct).toFixed(0)} B, cidx: ${per(bytes.cidx).toFixed(0)} B per subject\n` +
        `[capacity]   total ${(((subjectBytes + linkBytes) * 1000) / 1024).toFixed(0)} KiB per 1,000 subjects (subject hashes alone ${((subjectBytes * 1000) / 1024).toFixed(0)} KiB); ` +
        `key set ${bytes.keyset} B per tenant; key prefix ${prefix.length} characters\n`,
    );
    // Measured 416 and 439 B with Redis 7.0.15 (a 17-character test prefix; production's `ampseal:` is 8).
    expect(subjectBytes).toBeLessThan(600);
    expect(linkBytes).toBeLessThan(1_000);
  });
});
