/**
 * kafkajs log entries → structured fields only. kafkajs puts free text in `message`, stacks in `stack`, and
 * sometimes echoes request contents; none of that may reach a log line or a terminal (a message can quote
 * record bytes). What passes: the namespace, the level, the error's name/type/code, the broker address, and
 * counts of topics and partitions.
 */
export interface KafkaLogFields {
  readonly namespace: string;
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly error?: { readonly name?: string; readonly type?: string; readonly code?: number | string; readonly retriable?: boolean };
  readonly broker?: string;
  readonly topics?: number;
  readonly partitions?: number;
  readonly retryCount?: number;
  readonly retryTime?: number;
}

/** kafkajs logLevel numbers: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5. */
const LEVEL: Readonly<Record<number, KafkaLogFields['level']>> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };
const BROKER = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function word(value: unknown): string | undefined {
  return typeof value === 'string' && NAME.test(value) ? value : undefined;
}

function count(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'string' || typeof value === 'number') return 1;
  return undefined;
}

function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `entry` is kafkajs' `{ namespace, level, log }`; anything not listed above is dropped, never copied. */
export function mapKafkaLog(entry: { readonly namespace?: unknown; readonly level?: unknown; readonly log?: unknown }): KafkaLogFields {
  const log = (typeof entry.log === 'object' && entry.log !== null ? entry.log : {}) as Record<string, unknown>;
  const out: { -readonly [K in keyof KafkaLogFields]: KafkaLogFields[K] } = {
    namespace: word(entry.namespace) ?? 'kafkajs',
    level: LEVEL[typeof entry.level === 'number' ? entry.level : 4] ?? 'info',
  };
  const error: { name?: string; type?: string; code?: number | string; retriable?: boolean } = {};
  // kafkajs logs an error as `error: '<message text>'` plus sometimes `type`/`code`, or as an Error object.
  const source = (typeof log.error === 'object' && log.error !== null ? log.error : log) as Record<string, unknown>;
  const name = word(source.name) ?? (log.error instanceof Error ? word(log.error.name) : undefined);
  if (name !== undefined) error.name = name;
  const type = word(source.type) ?? word(log.type);
  if (type !== undefined) error.type = type;
  const code = typeof source.code === 'number' || word(source.code) !== undefined ? (source.code as number | string) : undefined;
  if (code !== undefined) error.code = code;
  if (typeof source.retriable === 'boolean') error.retriable = source.retriable;
  if (Object.keys(error).length > 0) out.error = error;
  if (typeof log.broker === 'string' && BROKER.test(log.broker)) out.broker = log.broker;
  const topics = count(log.topics ?? log.topic);
  if (topics !== undefined) out.topics = topics;
  const partitions = count(log.partitions ?? log.partition);
  if (partitions !== undefined) out.partitions = partitions;
  const retryCount = whole(log.retryCount);
  if (retryCount !== undefined) out.retryCount = retryCount;
  const retryTime = whole(log.retryTime);
  if (retryTime !== undefined) out.retryTime = retryTime;
  return out;
}
