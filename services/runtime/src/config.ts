import { hostname } from 'node:os';
import { AmpsealError, RECIPIENT_PLACEHOLDER, parseRecipient, roamingTopic } from '@ampseal/core';

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
  readonly topics: Topics;
  readonly groupId: string;
  readonly instanceId: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly stopDeadlineMs: number;
  readonly maxRecordsPerTransaction: number;
  readonly audiences: readonly ('analytics' | 'roaming')[];
  /** Token issuers (`NL-TNM`, upper case) allowed to receive roaming output; empty: any well-formed issuer. */
  readonly roamingRecipients: readonly string[];
  /** Tenants whose key sets are unwrapped at start (others on first sight). */
  readonly tenants: readonly string[];
  /** Create missing topics at start (local stack, demo); production provisions topics itself. */
  readonly createTopics: boolean;
  readonly topicPartitions: number;
  /** Consumer-group session timeout: how long a crashed instance holds its partitions. */
  readonly sessionTimeoutMs: number;
  /** Bearer token of the shredder's admin API; the API is off without one. */
  readonly adminToken: string | undefined;
}

/** Topic names (design §1); every one configurable, `<domain>.<name>.v<N>` by default. */
export interface Topics {
  readonly ocppRaw: string;
  readonly ocpiRaw: string;
  readonly analytics: string;
  /**
   * Roaming output: one topic per recipient (`ocpi.roaming.{recipient}.v1`), because Kafka ACLs restrict
   * reads per topic, not per key. Resolve with `roamingTopic(template, recipient)`.
   */
  readonly roamingTemplate: string;
  readonly quarantine: string;
  readonly erasureRequests: string;
  readonly erasureEvents: string;
  /** Internal, compacted, restricted: the key ring's tombstones, re-applied after a Redis restore. */
  readonly tombstones: string;
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

/** `defaults` lets a tool pick its own fallbacks (the CLI logs at warn unless told otherwise). */
export function loadConfig(env: Env, defaults: { logLevel?: Config['logLevel']; groupId?: string } = {}): Config {
  const brokers = (env.AMPSEAL_KAFKA_BROKERS?.trim() || '127.0.0.1:9092').split(',').map((b) => b.trim());
  if (brokers.some((b) => !BROKER.test(b))) invalid('AMPSEAL_KAFKA_BROKERS', 'a comma-separated list of host:port');
  const logLevel = (env.AMPSEAL_LOG_LEVEL?.trim() || defaults.logLevel || 'info') as Config['logLevel'];
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
    topics: Object.freeze({
      ocppRaw: topic(env, 'AMPSEAL_TOPIC_OCPP_RAW', 'ocpp.raw.v1'),
      ocpiRaw: topic(env, 'AMPSEAL_TOPIC_OCPI_RAW', 'ocpi.raw.v1'),
      analytics: topic(env, 'AMPSEAL_TOPIC_ANALYTICS', 'charging.sessions.analytics.v1'),
      roamingTemplate: topicTemplate(env, 'AMPSEAL_TOPIC_ROAMING', `ocpi.roaming.${RECIPIENT_PLACEHOLDER}.v1`),
      quarantine: topic(env, 'AMPSEAL_TOPIC_QUARANTINE', 'ampseal.quarantine.v1'),
      erasureRequests: topic(env, 'AMPSEAL_TOPIC_ERASURE_REQUESTS', 'privacy.erasure.requests.v1'),
      erasureEvents: topic(env, 'AMPSEAL_TOPIC_ERASURE_EVENTS', 'privacy.erasure.events.v1'),
      tombstones: topic(env, 'AMPSEAL_TOPIC_TOMBSTONES', 'ampseal.tombstones.v1'),
    }),
    groupId: name(env, 'AMPSEAL_GROUP_ID', defaults.groupId ?? 'ampseal-pseudonymizer'),
    instanceId: name(env, 'AMPSEAL_INSTANCE_ID', `${hostname()}-${process.pid}`),
    httpHost: env.AMPSEAL_HTTP_HOST?.trim() || '0.0.0.0',
    httpPort: integer(env, 'AMPSEAL_HTTP_PORT', 9464, 0, 65_535),
    stopDeadlineMs: integer(env, 'AMPSEAL_STOP_DEADLINE_MS', 20_000, 1_000, 600_000),
    maxRecordsPerTransaction: integer(env, 'AMPSEAL_MAX_RECORDS_PER_TRANSACTION', 2_000, 1, 100_000),
    audiences: audiences(env),
    roamingRecipients: recipients(env),
    createTopics: flag(env, 'AMPSEAL_CREATE_TOPICS', false),
    topicPartitions: integer(env, 'AMPSEAL_TOPIC_PARTITIONS', 3, 1, 1_000),
    sessionTimeoutMs: integer(env, 'AMPSEAL_KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    adminToken: adminToken(env),
    tenants: Object.freeze((env.AMPSEAL_TENANTS?.trim() || '').split(',').map((t) => t.trim()).filter(Boolean)),
  });
}

function adminToken(env: Env): string | undefined {
  const token = env.AMPSEAL_ADMIN_TOKEN?.trim();
  if (token === undefined || token === '') return undefined;
  // Long enough that guessing is hopeless; printable so it survives headers and secret stores.
  if (token.length < 32 || !/^[\x21-\x7e]+$/.test(token)) invalid('AMPSEAL_ADMIN_TOKEN', 'at least 32 printable characters');
  return token;
}

function flag(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return invalid(variable, 'true or false');
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
function topic(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (!TOPIC.test(value)) invalid(variable, 'a Kafka topic name (letters, digits, . _ -)');
  return value;
}

/** A topic name with `{recipient}` exactly once; a legal topic name for any recipient (`CC-PID`, 6 characters). */
function topicTemplate(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (value.split(RECIPIENT_PLACEHOLDER).length !== 2 || !TOPIC.test(roamingTopic(value, 'NL-TNM'))) {
    invalid(variable, `a Kafka topic name holding ${RECIPIENT_PLACEHOLDER} once, such as ocpi.roaming.${RECIPIENT_PLACEHOLDER}.v1`);
  }
  return value;
}

/** The allow-list, by the core's issuer rule: the same form the transform routes by. */
function recipients(env: Env): readonly string[] {
  const list = (env.AMPSEAL_ROAMING_RECIPIENTS?.trim() || '').split(',').map((r) => r.trim()).filter(Boolean);
  const parsed = list.map(parseRecipient);
  if (parsed.some((r) => r === undefined)) {
    invalid('AMPSEAL_ROAMING_RECIPIENTS', 'a comma-separated list of OCPI parties CC-PID (2 letters, 3 letters or digits), such as NL-TNM,DE-ABC');
  }
  return Object.freeze([...new Set(parsed as string[])]);
}

function name(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(value)) invalid(variable, 'letters, digits, . _ - (at most 200)');
  return value;
}

function audiences(env: Env): readonly ('analytics' | 'roaming')[] {
  const list = (env.AMPSEAL_AUDIENCES?.trim() || 'analytics,roaming').split(',').map((a) => a.trim());
  if (list.length === 0 || list.some((a) => a !== 'analytics' && a !== 'roaming')) {
    invalid('AMPSEAL_AUDIENCES', 'a comma-separated list of analytics, roaming');
  }
  return Object.freeze([...new Set(list)] as ('analytics' | 'roaming')[]);
}
