import { isTenant, TENANT_RULE } from '@ampseal/core';
import { integer, invalid, url, type Env } from './read';

/** The key ring: Redis, KMS, the key cache, the tenants unwrapped at start. */
export interface KeyRingSection {
  readonly redisUrl: string;
  readonly kmsEndpoint: string | undefined;
  readonly kmsRegion: string;
  readonly kmsAliasPrefix: string;
  readonly keyCacheSize: number;
  readonly keyCacheTtlMs: number;
  readonly keySetRefreshMs: number;
  /** Tenants whose key sets are unwrapped at start (others on first sight). */
  readonly tenants: readonly string[];
}

export function readKeyRingSection(env: Env): KeyRingSection {
  const aliasPrefix = env.AMPSEAL_KMS_ALIAS_PREFIX?.trim() || 'alias/ampseal/';
  if (!/^alias\/[A-Za-z0-9/_-]*$/.test(aliasPrefix)) invalid('AMPSEAL_KMS_ALIAS_PREFIX', 'an alias prefix such as alias/ampseal/');
  const region = env.AMPSEAL_KMS_REGION?.trim() || 'eu-central-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) invalid('AMPSEAL_KMS_REGION', 'an AWS region such as eu-central-1');
  return {
    redisUrl: url(env, 'AMPSEAL_REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss'])!,
    kmsEndpoint: url(env, 'AMPSEAL_KMS_ENDPOINT', undefined, ['http', 'https']),
    kmsRegion: region,
    kmsAliasPrefix: aliasPrefix,
    keyCacheSize: integer(env, 'AMPSEAL_KEY_CACHE_SIZE', 200_000, 1, 50_000_000),
    // At most an hour: the TTL is how long an instance that missed a receipt may still issue an erased subject's token
    // (README "Configuration"); eviction epochs close the in-flight race, the TTL only the missed-receipt case.
    keyCacheTtlMs: integer(env, 'AMPSEAL_KEY_CACHE_TTL_MS', 300_000, 1_000, 3_600_000),
    keySetRefreshMs: integer(env, 'AMPSEAL_KEY_SET_REFRESH_MS', 3_600_000, 60_000, 604_800_000),
    tenants: tenantList(env.AMPSEAL_TENANTS),
  };
}

/** AMPSEAL_TENANTS: comma-separated tenant names, each by core's one tenant rule (the envelope's). */
function tenantList(raw: string | undefined): readonly string[] {
  const tenants = (raw?.trim() || '').split(',').map((t) => t.trim()).filter(Boolean);
  const bad = tenants.findIndex((t) => !isTenant(t));
  if (bad >= 0) invalid('AMPSEAL_TENANTS', `tenant names (${TENANT_RULE}); entry ${bad + 1} is not one`);
  return Object.freeze(tenants);
}
