import { AmpsealError } from '@ampseal/core';

/**
 * All configuration, read from AMPSEAL_* variables once at start and frozen. Nothing else reads
 * process.env. A bad value stops the process with a message naming the variable and the expected form.
 */
export interface Config {
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly redisUrl: string;
  readonly kmsEndpoint: string | undefined;
  readonly kmsRegion: string;
  readonly kmsAliasPrefix: string;
  readonly keyCacheSize: number;
  readonly keyCacheTtlMs: number;
  readonly keySetRefreshMs: number;
  readonly maxRecordBytes: number;
  readonly policyFile: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, expected: string): never {
  throw new AmpsealError('CONFIG_INVALID', `${name} must be ${expected}`);
}

function url(env: Env, name: string, fallback: string | undefined, schemes: readonly string[]): string | undefined {
  const raw = env[name]?.trim() || fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return invalid(name, `a URL (${schemes.join(', ')})`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) invalid(name, `a URL with scheme ${schemes.join(' or ')}`);
  return raw;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) invalid(name, `a whole number from ${min} to ${max}`);
  return n;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export function loadConfig(env: Env): Config {
  const brokers = (env.AMPSEAL_KAFKA_BROKERS?.trim() || '127.0.0.1:9092').split(',').map((b) => b.trim());
  if (brokers.some((b) => !BROKER.test(b))) invalid('AMPSEAL_KAFKA_BROKERS', 'a comma-separated list of host:port');
  const logLevel = (env.AMPSEAL_LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LEVELS.includes(logLevel)) invalid('AMPSEAL_LOG_LEVEL', `one of ${LEVELS.join(', ')}`);
  const aliasPrefix = env.AMPSEAL_KMS_ALIAS_PREFIX?.trim() || 'alias/ampseal/';
  if (!/^alias\/[A-Za-z0-9/_-]*$/.test(aliasPrefix)) invalid('AMPSEAL_KMS_ALIAS_PREFIX', 'an alias prefix such as alias/ampseal/');
  const region = env.AMPSEAL_KMS_REGION?.trim() || 'eu-central-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) invalid('AMPSEAL_KMS_REGION', 'an AWS region such as eu-central-1');
  return Object.freeze({
    kafkaBrokers: Object.freeze(brokers),
    schemaRegistryUrl: url(env, 'AMPSEAL_SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7', ['http', 'https'])!,
    redisUrl: url(env, 'AMPSEAL_REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss'])!,
    kmsEndpoint: url(env, 'AMPSEAL_KMS_ENDPOINT', undefined, ['http', 'https']),
    kmsRegion: region,
    kmsAliasPrefix: aliasPrefix,
    keyCacheSize: integer(env, 'AMPSEAL_KEY_CACHE_SIZE', 200_000, 1, 50_000_000),
    keyCacheTtlMs: integer(env, 'AMPSEAL_KEY_CACHE_TTL_MS', 300_000, 1_000, 86_400_000),
    keySetRefreshMs: integer(env, 'AMPSEAL_KEY_SET_REFRESH_MS', 3_600_000, 60_000, 604_800_000),
    maxRecordBytes: integer(env, 'AMPSEAL_MAX_RECORD_BYTES', 262_144, 1_024, 16_777_216),
    policyFile: env.AMPSEAL_POLICY_FILE?.trim() || undefined,
    logLevel,
  });
}
