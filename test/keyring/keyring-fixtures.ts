import type Redis from 'ioredis';
import type { IdentifierKind, TokenOutcome, TokenRequest } from '@ampseal/core';
import { createRedisKeyRing, type KeyRing, type RedisKeyRingOptions } from '@ampseal/keyring';
import { endpoints } from '../harness/endpoints';
import { uniqueName, type Resources } from '../harness/resources';

/** Tenants with a seeded root key in local-kms (alias/ampseal/<tenant>). */
export const ACME = 'acme-cpo';
export const VOLTWAY = 'voltway-cpo';
export const T0 = Date.parse('2026-11-24T10:00:00Z');

/**
 * A Redis key prefix no other test or run uses: tenants are fixed by the seeded KMS aliases, so isolation
 * comes from the prefix. Everything under it is deleted when the file's resources close.
 */
export function keyPrefix(resources: Resources, redis: Redis): string {
  const prefix = `${uniqueName('kr-test')}:`;
  resources.add('keyring keys', prefix, async (p) => {
    const keys = await keysUnder(redis, `${p}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  return prefix;
}

/** The Redis key ring on the test stack: local-kms, a key prefix of the test's own, test-sized cache and refresh. */
export function redisKeyRingOptions(prefix: string, options: Partial<RedisKeyRingOptions> = {}): RedisKeyRingOptions {
  const { redisUrl, kmsEndpoint, kmsRegion } = endpoints();
  return {
    redisUrl,
    kmsEndpoint,
    kmsRegion,
    aliasPrefix: 'alias/ampseal/',
    cacheSize: 100_000,
    cacheTtlMs: 60_000,
    keySetRefreshMs: 3_600_000,
    keyPrefix: prefix,
    // local-kms accepts any credentials; real AWS takes them from the default chain instead.
    kmsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  };
}

export function keyRing(resources: Resources, prefix: string, options: Partial<RedisKeyRingOptions> = {}): KeyRing {
  return resources.add('keyring', createRedisKeyRing(redisKeyRingOptions(prefix, options)), (r) => r.stop());
}

export async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

export function req(value: string, at = T0, kind: IdentifierKind = 'uid', tenant = ACME): TokenRequest {
  return { subject: { tenant, kind, value }, at };
}

export async function outcome(ring: KeyRing, value: string, at = T0, tenant = ACME): Promise<TokenOutcome> {
  const [result] = await ring.tokens([req(value, at, 'uid', tenant)]);
  return result!;
}

export async function tokenOf(ring: KeyRing, value: string, at = T0, tenant = ACME): Promise<string> {
  const result = await outcome(ring, value, at, tenant);
  if (result.status !== 'TOKENIZED') throw new Error(`expected a token, got ${result.status}`);
  return result.token;
}
