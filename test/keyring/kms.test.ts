import { AmpsealError } from '@ampseal/core';
import { DecryptCommand, kmsClient, redisClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { ACME, VOLTWAY, keyPrefix, keyRing, keysUnder, outcome, tokenOf } from './keyring-fixtures';

const resources = useResources();
const redis = redisClient(resources);
const kms = kmsClient(resources);

describe('Redis key ring: key material under KMS (real Redis + local-kms)', () => {
  it('K1 K2 the key set is stored only as two KMS blobs, bound to tenant and purpose', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME] });
    await ring.start();
    const stored = await redis.hgetall(`${prefix}{${ACME}}:keyset`);
    expect(Object.keys(stored).sort()).toEqual(['index', 'v', 'wrap']);
    for (const [field, purpose] of [
      ['wrap', 'subject-key-wrapping'],
      ['index', 'blind-index'],
    ] as const) {
      const blob = Buffer.from(stored[field]!, 'base64');
      const plain = await kms.send(
        new DecryptCommand({ KeyId: `alias/ampseal/${ACME}`, CiphertextBlob: blob, EncryptionContext: { tenant: ACME, purpose } }),
      );
      expect(plain.Plaintext).toHaveLength(32);
      expect(blob.includes(Buffer.from(plain.Plaintext!))).toBe(false);
    }
  });

  it("K6 wrapped keys in Redis are useless without KMS: the other tenant's alias or context cannot decrypt the key set", async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME] });
    await ring.start();
    const blob = Buffer.from((await redis.hget(`${prefix}{${ACME}}:keyset`, 'wrap'))!, 'base64');
    const context = { tenant: ACME, purpose: 'subject-key-wrapping' };

    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...context, tenant: VOLTWAY } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...context, purpose: 'blind-index' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(
      kms.send(new DecryptCommand({ KeyId: `alias/ampseal/${VOLTWAY}`, CiphertextBlob: blob, EncryptionContext: context })),
    ).rejects.toMatchObject({ name: expect.stringMatching(/IncorrectKeyException|InvalidCiphertextException/) });
  });

  it("K6 a key ring handed another tenant's key set fails with KEY_INTEGRITY (not retriable) and creates nothing", async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME] });
    await ring.start();
    // An attacker (or a botched restore) copies acme's key set over voltway's.
    const acme = await redis.hgetall(`${prefix}{${ACME}}:keyset`);
    await redis.hset(`${prefix}{${VOLTWAY}}:keyset`, acme);
    const victim = keyRing(resources, prefix);
    await victim.start();
    const err = await victim.tokens([{ subject: { tenant: VOLTWAY, kind: 'uid', value: 'STOLEN' }, at: 0 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmpsealError);
    expect(err).toMatchObject({ code: 'AMPSEAL_ERR_KEY_INTEGRITY', retriable: false });
    expect(await keysUnder(redis, `${prefix}{${VOLTWAY}}:s:*`)).toEqual([]);
  });

  it('K6 a tenant whose root key KMS does not have fails with TENANT_KEY_REFUSED (not retriable, per record) and stores nothing', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix);
    await ring.start();
    const err = await ring.links('no-root-key-cpo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmpsealError);
    expect(err).toMatchObject({ code: 'AMPSEAL_ERR_TENANT_KEY_REFUSED', retriable: false, stage: 'record' });
    expect(await keysUnder(redis, `${prefix}*`)).toEqual([]);
    // The other tenants are unaffected.
    expect((await outcome(ring, 'AFTER-REFUSAL')).status).toBe('TOKENIZED');
  });

  it('K8 a wrapped subject key moved to another subject fails to unwrap (AAD binds the blind index)', async () => {
    const prefix = keyPrefix(resources, redis);
    const writer = keyRing(resources, prefix, { tenants: [ACME] });
    await writer.start();
    await tokenOf(writer, 'SUBJECT-A');
    const [recordA] = await keysUnder(redis, `${prefix}{${ACME}}:s:*`);
    await tokenOf(writer, 'SUBJECT-B');
    const recordB = (await keysUnder(redis, `${prefix}{${ACME}}:s:*`)).find((k) => k !== recordA)!;
    await redis.hset(recordB, 'k', (await redis.hget(recordA!, 'k'))!);

    const reader = keyRing(resources, prefix);
    await reader.start();
    await expect(outcome(reader, 'SUBJECT-B')).rejects.toMatchObject({ code: 'AMPSEAL_ERR_KEY_INTEGRITY' });
    await expect(outcome(reader, 'SUBJECT-A')).resolves.toMatchObject({ status: 'TOKENIZED' });
  });

  it('K4 K5 the key set is re-unwrapped through KMS once older than keySetRefreshMs, only on the miss path', async () => {
    const prefix = keyPrefix(resources, redis);
    const ring = keyRing(resources, prefix, { tenants: [ACME], keySetRefreshMs: 50 });
    await ring.start();
    const token = await tokenOf(ring, 'REFRESH');
    const warm = ring.stats().kmsCalls;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await tokenOf(ring, 'REFRESH')).toBe(token); // a hit: no key work, no KMS
    expect(ring.stats().kmsCalls).toBe(warm);
    await tokenOf(ring, 'REFRESH-NEW'); // a miss after the period: one refresh (two Decrypts)
    expect(ring.stats().kmsCalls).toBe(warm + 2);
    expect(await tokenOf(ring, 'REFRESH')).toBe(token);
  });
});
