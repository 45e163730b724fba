import type { Logger } from '@ampseal/foundation';
import type { KafkaLogFields } from '@ampseal/kafka';

/**
 * @platformatic/kafka logs nothing itself (only through `debug`, off unless DEBUG is set): what the operator needs is
 * in its client events. They are passed as the kafkajs adapter's mapper passes kafkajs' log entries, the same
 * `KafkaLogFields` under the same fixed message: the event's name, the broker address, the error's class, code and
 * Kafka error name. Never the library's text (it can name topics and hosts) nor anything of a record.
 */

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

const BROKER = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function word(value: unknown): string | undefined {
  return typeof value === 'string' && NAME.test(value) ? value : undefined;
}

/** One event's payload → structured fields (exported for its unit test). */
export function mapClientEvent(event: string, level: KafkaLogFields['level'], payload: unknown): KafkaLogFields {
  const out: { -readonly [K in keyof KafkaLogFields]: KafkaLogFields[K] } = { namespace: event.replace(/[^A-Za-z0-9_]/g, '_'), level };
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const broker = p.broker as { host?: unknown; port?: unknown } | undefined;
  const address = broker && typeof broker.host === 'string' && typeof broker.port === 'number' ? `${broker.host}:${broker.port}` : undefined;
  if (address !== undefined && BROKER.test(address)) out.broker = address;
  const err = (p.error ?? p.lastError ?? (payload instanceof Error ? payload : undefined)) as Record<string, unknown> | undefined;
  if (err && typeof err === 'object') {
    const error: { name?: string; type?: string; code?: string; retriable?: boolean } = {};
    // The library names every error `Error`: its class says what it is.
    const name = word((err as { constructor?: { name?: unknown } }).constructor?.name) ?? word(err.name);
    if (name) error.name = name;
    const code = typeof err.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(err.code) ? err.code : undefined;
    if (code) error.code = code;
    // A broker's answer: the Kafka error name, from the first protocol error inside.
    const inner = [err, ...(Array.isArray(err.errors) ? (err.errors as Array<Record<string, unknown>>) : [])].find((e) => word(e?.apiId) !== undefined);
    if (inner) error.type = word(inner.apiId);
    if (typeof err.canRetry === 'boolean') error.retriable = err.canRetry;
    out.error = error;
  }
  return out;
}

const EVENTS: ReadonlyArray<readonly [string, KafkaLogFields['level']]> = [
  ['client:broker:failed', 'warn'],
  ['client:broker:disconnect', 'debug'],
  ['consumer:heartbeat:error', 'warn'],
  ['consumer:heartbeat:stalled', 'warn'],
  ['consumer:group:rebalance', 'info'],
  ['consumer:lag:error', 'warn'],
];

/** Logs a client's events through the mapper (structured fields, one fixed message). */
export function logClientEvents(client: Emitter, logger: Logger): void {
  for (const [event, level] of EVENTS) {
    client.on(event, (payload: unknown) => {
      const fields = mapClientEvent(event, level, payload);
      logger[fields.level]({ kafka: fields }, 'kafka client event');
    });
  }
}
