import { AmpsealError, TLS_UNTRUSTED_CODES } from '@ampseal/core';

/**
 * What the stream does with a failure (README "Failure policy"), decided from the error table's stage:
 * - `quarantine`: one record (or one request) is at fault (stages `input`, `record`, `request`). The handler
 *   quarantines it (or answers a failed receipt) and the records behind it flow on; handlers never throw for
 *   one record, because the edge has no record to blame and could only stall the partition.
 * - `retry`: a dependency is down (stage `dependency`): nothing is produced or committed, the chunk is retried
 *   with backoff, /readyz answers 503 with the reason, and the stream resumes by itself.
 * - `stop`: the instance cannot go on (stages `setup`, `instance`, or anything outside the table): /readyz answers
 *   503 with the reason, the stream stops and the process exits non-zero so the orchestrator starts a fresh one.
 */
export type FailureAction = 'quarantine' | 'retry' | 'stop';

export interface Failure {
  readonly action: FailureAction;
  /** The failure as a table entry: its `reason` is what /readyz, the logs and the quarantine headers show. */
  readonly error: AmpsealError;
}

interface KafkaJsLike {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly retriable?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

// Protocol error codes (Kafka's own numbers). kafkajs 2.2 does not know PRODUCER_FENCED (90): it reports it as
// an unknown code with the number in the message only.
const FENCED_CODES = new Set([47 /* INVALID_PRODUCER_EPOCH */, 90 /* PRODUCER_FENCED */]);
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const AUTHORIZATION_CODES = new Set([29, 30, 31, 53]); // TOPIC_, GROUP_, CLUSTER_, TRANSACTIONAL_ID_AUTHORIZATION_FAILED

function chain(err: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && out.length < 10) {
    out.push(e as KafkaJsLike);
    e = (e as KafkaJsLike).cause;
  }
  return out;
}

/**
 * The one place kafkajs errors become table entries. kafkajs wraps a broker's answer (a retry that gave up wraps
 * the last protocol error as its `cause`), so the whole cause chain is read: fencing and authorization anywhere
 * in it decide; otherwise the innermost error's own `retriable` flag (kafkajs' judgement, the same one its consumer
 * uses to decide whether to restart) says whether the broker may come back. No kafkajs text is kept: it can name
 * topics and hosts, never data, but the table's fixed messages are what we show.
 */
export function kafkaFailure(err: unknown): AmpsealError {
  const links = chain(err);
  for (const e of links) {
    const unknownCode = typeof e.message === 'string' ? /^Unknown error code (\d+)$/.exec(e.message)?.[1] : undefined;
    if ((typeof e.type === 'string' && FENCED_TYPES.has(e.type)) || (typeof e.code === 'number' && FENCED_CODES.has(e.code)) || (unknownCode !== undefined && FENCED_CODES.has(Number(unknownCode)))) {
      return new AmpsealError('PRODUCER_FENCED', undefined, { cause: err });
    }
    // A wrong password or unknown user (SASL): the broker will not change its mind; the mechanism is in kafkajs'
    // text, the user is not kept.
    if (e.name === 'KafkaJSSASLAuthenticationError') return new AmpsealError('AUTHENTICATION_FAILED', 'Kafka (SASL)', { cause: err });
    if (typeof e.code === 'string' && TLS_UNTRUSTED_CODES.has(e.code)) return new AmpsealError('TLS_UNTRUSTED', `Kafka (${e.code})`, { cause: err });
    if ((typeof e.type === 'string' && e.type.endsWith('_AUTHORIZATION_FAILED')) || (typeof e.code === 'number' && AUTHORIZATION_CODES.has(e.code))) {
      return new AmpsealError('KAFKA_AUTHORIZATION', undefined, { cause: err });
    }
  }
  const innermost = links[links.length - 1];
  const retriable =
    links.some((e) => e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError' || e.name === 'KafkaJSRequestTimeoutError') ||
    innermost?.retriable === true;
  return new AmpsealError(retriable ? 'BROKER_UNAVAILABLE' : 'STREAM_FAILED', undefined, { cause: err });
}

/**
 * The group coordinator refused a request because the group is rebalancing or this member's generation is over
 * (kafkajs' own `isRebalancing` set, anywhere in the cause chain): kafkajs rejoins when its consumer loop sees
 * one. Not a failure of the instance: the partition's next owner resumes from the committed offset.
 */
export function isGroupRebalance(err: unknown): boolean {
  return chain(err).some((e) => e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'ILLEGAL_GENERATION' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'UNKNOWN_MEMBER_ID');
}

function isKafkaJsError(err: unknown): boolean {
  return chain(err).some((e) => typeof e.name === 'string' && e.name.startsWith('KafkaJS'));
}

/** The failure policy: any thrown value → what the stream does with it. */
export function classifyFailure(err: unknown): Failure {
  return policyOf(err instanceof AmpsealError ? err : isKafkaJsError(err) ? kafkaFailure(err) : new AmpsealError('INTERNAL', (err as Error | undefined)?.name ?? 'error', { cause: err }));
}

/** The policy's one table, for every client: a table entry → what the stream does with it (by retriable and stage). */
export function policyOf(error: AmpsealError): Failure {
  if (error.retriable) return { action: 'retry', error };
  switch (error.stage) {
    case 'input':
    case 'record':
    case 'request':
      return { action: 'quarantine', error };
    default:
      return { action: 'stop', error };
  }
}
