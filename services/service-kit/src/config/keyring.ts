import { isTenant, TENANT_RULE } from '@ampseal/core';
import { flag, integer, invalid, isLoopback, pemFile, secret, url, type Env } from './read';
import { readTenantKeys, REGION_FORM, type TenantKeys } from './tenant-keys';

/** The key ring: Redis, KMS, the key cache, the tenants unwrapped at start. */
export interface KeyRingSection {
  readonly redisUrl: string;
  /** Redis AUTH: an ACL user (or the default user) and its password; TLS CA for `rediss://`. */
  readonly redisUsername: string | undefined;
  readonly redisPassword: string | undefined;
  readonly redisCa: string | undefined;
  readonly kmsEndpoint: string | undefined;
  /**
   * The KMS endpoint is an emulator (local-kms): plain http allowed, static dummy credentials. Real KMS and VPC
   * endpoints speak https and take the AWS default credential chain.
   */
  readonly kmsEmulator: boolean;
  readonly kmsRegion: string;
  readonly kmsAliasPrefix: string;
  /**
   * AMPSEAL_TENANT_KEYS_FILE: each tenant's KMS key and region (and per-region endpoints). When set, only these tenants
   * have keys: AMPSEAL_TENANTS may name no other, and the region and alias prefix above are not used.
   */
  readonly tenantKeys: TenantKeys | undefined;
  readonly keyCacheSize: number;
  readonly keyCacheTtlMs: number;
  readonly keySetRefreshMs: number;
  /** Tenants whose key sets are unwrapped at start (others on first sight). */
  readonly tenants: readonly string[];
  /** Co-occurrence index (keyring SPEC K39): links older than this are dropped. */
  readonly cooccurrenceTtlMs: number;
  /** … at most this many links per subject (the newest kept) … */
  readonly cooccurrenceMaxLinks: number;
  /** … and at most this many subjects per tenant (the least recently seen dropped first). */
  readonly cooccurrenceMaxSubjects: number;
  /** How long the raw topics keep a record (AMPSEAL_RAW_RETENTION_DAYS): the plan warns when a topic keeps longer. */
  readonly rawRetentionMs: number;
  /** The oldest Redis backup that may ever be restored (AMPSEAL_MAX_BACKUP_AGE_DAYS). */
  readonly maxBackupAgeMs: number;
  /**
   * K41: tombstones and stored erasure results (with their retired tokens) are dropped this long after the erasure:
   * raw retention + maximum backup age. Older than that, no raw copy and no restorable backup can bring the subject back.
   */
  readonly tombstoneLifetimeMs: number;
}

const DAY_MS = 86_400_000;

export function readKeyRingSection(env: Env): KeyRingSection {
  const aliasPrefix = env.AMPSEAL_KMS_ALIAS_PREFIX?.trim() || 'alias/ampseal/';
  if (!/^alias\/[A-Za-z0-9/_-]*$/.test(aliasPrefix)) invalid('AMPSEAL_KMS_ALIAS_PREFIX', 'an alias prefix such as alias/ampseal/');
  const region = env.AMPSEAL_KMS_REGION?.trim() || 'eu-central-1';
  if (!REGION_FORM.test(region)) invalid('AMPSEAL_KMS_REGION', 'an AWS region such as eu-central-1');
  const kmsEndpoint = url(env, 'AMPSEAL_KMS_ENDPOINT', undefined, ['http', 'https']);
  const kmsEmulator = flag(env, 'AMPSEAL_KMS_EMULATOR', false);
  // Wrapping keys and their plaintext data keys travel on this connection: clear text only to a declared emulator.
  if (kmsEndpoint?.startsWith('http:') && !kmsEmulator) invalid('AMPSEAL_KMS_ENDPOINT', 'an https URL (or AMPSEAL_KMS_EMULATOR=true for local-kms)');
  const tenantKeys = readTenantKeys(env, kmsEmulator);
  // One endpoint for every region would send a tenant's key work to wherever it points: endpoints are per region.
  if (tenantKeys && kmsEndpoint) invalid('AMPSEAL_KMS_ENDPOINT', 'unset with AMPSEAL_TENANT_KEYS_FILE (name each region\'s endpoint in the file: regions.<region>.endpoint)');
  let tenants = tenantList(env.AMPSEAL_TENANTS);
  if (tenantKeys) {
    const missing = tenants.find((t) => !tenantKeys.tenants.has(t));
    if (missing !== undefined) invalid('AMPSEAL_TENANTS', `tenant ${missing} has no key entry in AMPSEAL_TENANT_KEYS_FILE (tenants.${missing}: { region, key })`);
    if (tenants.length === 0) tenants = Object.freeze([...tenantKeys.tenants.keys()]);
  }
  return {
    ...redis(env),
    kmsEndpoint,
    kmsEmulator,
    kmsRegion: region,
    kmsAliasPrefix: aliasPrefix,
    tenantKeys,
    keyCacheSize: integer(env, 'AMPSEAL_KEY_CACHE_SIZE', 200_000, 1, 50_000_000),
    // At most an hour: the TTL is how long an instance that missed a receipt may still issue an erased subject's token
    // (README "Configuration"); eviction epochs close the in-flight race, the TTL only the missed-receipt case.
    keyCacheTtlMs: integer(env, 'AMPSEAL_KEY_CACHE_TTL_MS', 300_000, 1_000, 3_600_000),
    keySetRefreshMs: integer(env, 'AMPSEAL_KEY_SET_REFRESH_MS', 3_600_000, 60_000, 604_800_000),
    tenants,
    cooccurrenceTtlMs: integer(env, 'AMPSEAL_COOCCURRENCE_TTL_DAYS', 90, 1, 3_650) * DAY_MS,
    cooccurrenceMaxLinks: integer(env, 'AMPSEAL_COOCCURRENCE_MAX_LINKS', 32, 1, 1_000),
    cooccurrenceMaxSubjects: integer(env, 'AMPSEAL_COOCCURRENCE_MAX_SUBJECTS', 1_000_000, 1, 100_000_000),
    ...lifetime(env),
  };
}

/**
 * Redis: subject keys (wrapped) and blind indexes cross this connection, so `redis://` (clear text) is refused
 * outside the loopback unless AMPSEAL_REDIS_ALLOW_PLAINTEXT; AUTH from variables or secret files.
 */
function redis(env: Env): Pick<KeyRingSection, 'redisUrl' | 'redisUsername' | 'redisPassword' | 'redisCa'> {
  const redisUrl = url(env, 'AMPSEAL_REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss'])!;
  const parsed = new URL(redisUrl);
  const tls = parsed.protocol === 'rediss:';
  if (!tls && !isLoopback(parsed.hostname) && !flag(env, 'AMPSEAL_REDIS_ALLOW_PLAINTEXT', false)) {
    invalid('AMPSEAL_REDIS_URL', 'a rediss:// URL outside the loopback (or AMPSEAL_REDIS_ALLOW_PLAINTEXT=true)');
  }
  const redisUsername = env.AMPSEAL_REDIS_USERNAME?.trim() || undefined;
  const redisPassword = secret(env, 'AMPSEAL_REDIS_PASSWORD');
  if (redisPassword !== undefined && parsed.password) invalid('AMPSEAL_REDIS_PASSWORD', 'unset when AMPSEAL_REDIS_URL carries a password');
  if (redisUsername && redisPassword === undefined) invalid('AMPSEAL_REDIS_PASSWORD', 'set (or AMPSEAL_REDIS_PASSWORD_FILE) with AMPSEAL_REDIS_USERNAME');
  const redisCa = pemFile(env, 'AMPSEAL_REDIS_CA_FILE', 'CERTIFICATE');
  if (redisCa && !tls) invalid('AMPSEAL_REDIS_URL', 'a rediss:// URL when AMPSEAL_REDIS_CA_FILE is set');
  return { redisUrl, redisUsername, redisPassword, redisCa };
}

/** K41: the tombstone lifetime from its two parts, each validated here and nowhere else. */
function lifetime(env: Env): Pick<KeyRingSection, 'rawRetentionMs' | 'maxBackupAgeMs' | 'tombstoneLifetimeMs'> {
  const rawRetentionMs = integer(env, 'AMPSEAL_RAW_RETENTION_DAYS', 7, 1, 3_650) * DAY_MS;
  const maxBackupAgeMs = integer(env, 'AMPSEAL_MAX_BACKUP_AGE_DAYS', 35, 0, 3_650) * DAY_MS;
  return { rawRetentionMs, maxBackupAgeMs, tombstoneLifetimeMs: rawRetentionMs + maxBackupAgeMs };
}

/** AMPSEAL_TENANTS: comma-separated tenant names, each by core's one tenant rule (the envelope's). */
function tenantList(raw: string | undefined): readonly string[] {
  const tenants = (raw?.trim() || '').split(',').map((t) => t.trim()).filter(Boolean);
  const bad = tenants.findIndex((t) => !isTenant(t));
  if (bad >= 0) invalid('AMPSEAL_TENANTS', `tenant names (${TENANT_RULE}); entry ${bad + 1} is not one`);
  return Object.freeze(tenants);
}
