import { AmpsealError, TLS_UNTRUSTED_CODES } from '@ampseal/core';
import { policyOf, type Failure } from '@ampseal/kafka';

/**
 * The one place @platformatic/kafka errors become table entries (services/core/src/errors.ts), then the port's one
 * policy (`policyOf`) decides the action: the same codes and actions as the kafkajs adapter's `kafkaFailure`.
 *
 * The library's errors carry a `PLT_KFK_*` code; a broker's answer is a `ProtocolError` (its Kafka error name in
 * `apiId`, the number in `apiCode`, the library's judgement in `canRetry`), wrapped in a `ResponseError` or
 * `MultipleErrors` (`errors`) and sometimes a `cause`. The whole tree is read; no library text is kept.
 */

interface PlatformaticLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly apiId?: unknown;
  readonly apiCode?: unknown;
  readonly canRetry?: unknown;
  readonly needsRejoin?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const FENCED_CODES = new Set([47, 90]);
const AUTHORIZATION_CODES = new Set([29, 30, 31, 53]);
const REJOIN = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** Every error in the tree (cause chain and aggregated errors), breadth first, bounded. */
function tree(err: unknown): PlatformaticLike[] {
  const out: PlatformaticLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object') continue;
    out.push(e as PlatformaticLike);
    const { cause, errors } = e as PlatformaticLike;
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}

export function isPlatformaticError(err: unknown): boolean {
  return tree(err).some((e) => typeof e.code === 'string' && e.code.startsWith('PLT_KFK_'));
}

export function platformaticFailure(err: unknown): AmpsealError {
  const all = tree(err);
  for (const e of all) {
    if ((typeof e.apiId === 'string' && FENCED.has(e.apiId)) || (typeof e.apiCode === 'number' && FENCED_CODES.has(e.apiCode))) {
      return new AmpsealError('PRODUCER_FENCED', undefined, { cause: err });
    }
    if (e.code === 'PLT_KFK_AUTHENTICATION' || e.apiId === 'SASL_AUTHENTICATION_FAILED') return new AmpsealError('AUTHENTICATION_FAILED', 'Kafka (SASL)', { cause: err });
    if (typeof e.code === 'string' && TLS_UNTRUSTED_CODES.has(e.code)) return new AmpsealError('TLS_UNTRUSTED', `Kafka (${e.code})`, { cause: err });
    if ((typeof e.apiId === 'string' && e.apiId.endsWith('_AUTHORIZATION_FAILED')) || (typeof e.apiCode === 'number' && AUTHORIZATION_CODES.has(e.apiCode))) {
      return new AmpsealError('KAFKA_AUTHORIZATION', undefined, { cause: err });
    }
  }
  const retriable = all.some(
    (e) => e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT' || (e.code === 'PLT_KFK_PROTOCOL' && (e.canRetry === true || e.needsRejoin === true)) || (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)),
  );
  return new AmpsealError(retriable ? 'BROKER_UNAVAILABLE' : 'STREAM_FAILED', undefined, { cause: err });
}

/** The group refused a request because it is rebalancing or this member's generation is over. */
export function isGroupRebalance(err: unknown): boolean {
  return tree(err).some((e) => typeof e.apiId === 'string' && REJOIN.has(e.apiId));
}

/** The failure policy for this adapter: any thrown value → the port's action (same table, same actions). */
export function classifyFailure(err: unknown): Failure {
  return policyOf(err instanceof AmpsealError ? err : isPlatformaticError(err) ? platformaticFailure(err) : new AmpsealError('INTERNAL', (err as Error | undefined)?.name ?? 'error', { cause: err }));
}

/** The broker answered this Kafka error (by its protocol name, such as TOPIC_ALREADY_EXISTS) somewhere in the tree. */
export function hasKafkaError(err: unknown, apiId: string): boolean {
  return tree(err).some((e) => e.apiId === apiId);
}
