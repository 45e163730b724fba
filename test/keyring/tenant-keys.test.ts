import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmpsealError } from '@ampseal/core';
import type { KeyRing } from '@ampseal/keyring';
import { Instruments } from '@ampseal/keyring/dist/instruments';
import { createKmsRootKeys } from '@ampseal/keyring/dist/kms';
import { loadConfig, openKeyRing, type Config } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { redisClient } from '../harness/clients';
import { PrivateKms } from '../harness/kms-server';
import { pipelineEnv } from '../harness/pipeline';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';

/**
 * Tenant keys where the tenant says (keyring SPEC K51): two local-kms processes stand for two AWS regions, each holding
 * only its own tenant's root key. The key ring must send each tenant's key work to that tenant's region and nowhere
 * else: proven by what each region can decrypt, and by region B going down while tenant A carries on.
 */
const resources = useResources();

const A = { tenant: 'acme-cpo', region: 'eu-central-1' };
const B = { tenant: 'voltway-cpo', region: 'eu-west-1' };

function keysFile(kmsA: PrivateKms, kmsB: PrivateKms): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ampseal-tenant-keys-')), 'tenant-keys.yaml');
  writeFileSync(
    file,
    [
      'regions:',
      `  ${A.region}: { endpoint: "${kmsA.url}" }`,
      `  ${B.region}: { endpoint: "${kmsB.url}" }`,
      'tenants:',
      `  ${A.tenant}: { region: ${A.region}, key: alias/ampseal/${A.tenant} }`,
      `  ${B.tenant}: { region: ${B.region}, key: "arn:aws:kms:${B.region}:${kmsB.account}:alias/ampseal/${B.tenant}" }`,
      '',
    ].join('\n'),
  );
  return file;
}

async function tokenFor(ring: KeyRing, tenant: string): Promise<string> {
  const [outcome] = await ring.tokens([{ subject: { tenant, kind: 'uid', value: randomBytes(7).toString('hex').toUpperCase() }, at: Date.now() }]);
  expect(outcome!.status).toBe('TOKENIZED');
  return (outcome as { token: string }).token;
}

/** Decrypts a stored key-set blob with the key ring's own KMS module, pointed at one region for the tenant. */
async function decryptsIn(kms: PrivateKms, tenant: string, blob: Buffer): Promise<boolean | string> {
  const root = createKmsRootKeys(
    {
      region: kms.region,
      aliasPrefix: 'alias/ampseal/',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      tenantKeys: new Map([[tenant, { key: `alias/ampseal/${tenant}`, region: kms.region }]]),
      regionEndpoints: new Map([[kms.region, kms.url]]),
    },
    new Instruments(),
  );
  try {
    const key = await root.decrypt(tenant, 'subject-key-wrapping', blob);
    key.fill(0);
    return true;
  } catch (err) {
    return err instanceof AmpsealError ? err.reason : 'other';
  } finally {
    root.close();
  }
}

describe('tenant keys in their own regions (keyring SPEC K51)', () => {
  it("each tenant's key set is wrapped only by its region's KMS; with region B down, tenant A carries on", async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    const kmsA = resources.add('kms A', new PrivateKms(A.region, [A.tenant]), (k) => k.destroy());
    const kmsB = resources.add('kms B', new PrivateKms(B.region, [B.tenant]), (k) => k.destroy());
    await Promise.all([redis.start(), kmsA.start(), kmsB.start()]);
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_KMS_ENDPOINT: '', AMPSEAL_TENANT_KEYS_FILE: keysFile(kmsA, kmsB) });
    const config = loadConfig(env);
    expect(config.tenants).toEqual([A.tenant, B.tenant]); // every tenant with a key is unwrapped at start
    const { logger } = captureLogger('warn');
    const open = (c: Config) => openKeyRing('redis', c, logger);

    const ring = resources.add('keyring', await open(config), (k) => k.stop());
    await tokenFor(ring, A.tenant);
    await tokenFor(ring, B.tenant);
    await ring.stop();

    // The stored blobs: A's key set opens only in region A, B's only in region B.
    const client = redisClient(resources, redis.url);
    const blob = async (tenant: string) => Buffer.from((await client.hget(`ampseal:{${tenant}}:keyset`, 'wrap'))!, 'base64');
    expect(await decryptsIn(kmsA, A.tenant, await blob(A.tenant))).toBe(true);
    expect(await decryptsIn(kmsB, A.tenant, await blob(A.tenant))).toBe('tenant_key_refused'); // region B has no such key
    expect(await decryptsIn(kmsB, B.tenant, await blob(B.tenant))).toBe(true);
    expect(await decryptsIn(kmsA, B.tenant, await blob(B.tenant))).toBe('tenant_key_refused');

    // Region B goes down: tenant A's key work never needed it.
    await kmsB.stop();
    const onlyA = resources.add('keyring A', await open(loadConfig({ ...env, AMPSEAL_TENANTS: A.tenant })), (k) => k.stop());
    await tokenFor(onlyA, A.tenant);
    const down = await onlyA.tokens([{ subject: { tenant: B.tenant, kind: 'uid', value: 'B-DOWN' }, at: Date.now() }]).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(AmpsealError);
    expect((down as AmpsealError).reason).toBe('kms_unavailable'); // retriable: B's records wait for B, A's flow on
    await onlyA.stop();
  }, 60_000);

  it('a tenant without a key entry is refused at start, naming it; at run time it gets no key (tenant_key_refused)', async () => {
    const kmsA = resources.add('kms A', new PrivateKms(A.region, [A.tenant]), (k) => k.destroy());
    const kmsB = resources.add('kms B', new PrivateKms(B.region, [B.tenant]), (k) => k.destroy());
    const file = keysFile(kmsA, kmsB);
    const env = pipelineEnv({ AMPSEAL_KMS_ENDPOINT: '', AMPSEAL_TENANT_KEYS_FILE: file });
    expect(() => loadConfig({ ...env, AMPSEAL_TENANTS: `${A.tenant},unlisted-cpo` })).toThrow(/AMPSEAL_TENANTS.*tenant unlisted-cpo has no key entry/);
    // One endpoint for all regions is refused: each region names its own.
    expect(() => loadConfig({ ...env, AMPSEAL_KMS_ENDPOINT: kmsA.url })).toThrow(/AMPSEAL_KMS_ENDPOINT/);

    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await Promise.all([redis.start(), kmsA.start(), kmsB.start()]);
    const { logger } = captureLogger('warn');
    const ring = resources.add('keyring', await openKeyRing('redis', loadConfig({ ...env, AMPSEAL_REDIS_URL: redis.url }), logger), (k) => k.stop());
    const refused = await ring.tokens([{ subject: { tenant: 'unlisted-cpo', kind: 'uid', value: 'NO-KEY' }, at: Date.now() }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AmpsealError);
    expect(refused).toMatchObject({ reason: 'tenant_key_refused', retriable: false });
    await ring.stop();
  }, 60_000);
});
