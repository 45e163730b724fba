import { IDENTIFIER_KINDS, isIdentifierKind, type IdentifierKind } from './identifiers';
import { normalize, normalizeIdTag } from './normalize';
import type { ReasonCode } from './errors';
import { isRecord, isRequestId, isTenant, REQUEST_ID_RULE, TENANT_RULE } from './rules';

/**
 * Data-subject requests (design §5, §9): erasure (Art. 17) and restriction (Art. 18/21) travel as records on
 * `privacy.erasure.requests.v1` (restricted, short retention: they name identifiers in clear), and come back
 * as receipts on `privacy.erasure.events.v1` that carry tokens and counts only.
 */
export type SubjectAction = 'erase' | 'restrict' | 'unrestrict';
export const SUBJECT_ACTIONS: readonly SubjectAction[] = ['erase', 'restrict', 'unrestrict'];

export interface SubjectRequest {
  readonly version: 1;
  readonly requestId: string;
  readonly tenant: string;
  readonly action: SubjectAction;
  /** Normalized (design §3), so the shredder finds the same subject the pseudonymizer keyed. */
  readonly identifiers: ReadonlyArray<{ readonly kind: IdentifierKind; readonly value: string }>;
  readonly reason: string;
  readonly requestedAt: string;
  /**
   * Erase only: also erase every identifier that co-occurred with these in the same records (the key ring's
   * co-occurrence index, keyring SPEC K42). They are found by the shredder when it runs the request, from blind indexes:
   * no identifier the operator did not type travels on the requests topic.
   */
  readonly withLinked?: boolean;
}

export interface SubjectReceipt {
  readonly version: 1;
  readonly requestId: string;
  readonly tenant: string;
  readonly action: SubjectAction;
  readonly status: 'done' | 'failed';
  /** Why a request failed (a stable reason code), when it did. */
  readonly error?: ReasonCode;
  readonly requestedAt?: string;
  readonly completedAt: string;
  /** Erasure time: events at or before it never get a token again (design §5). */
  readonly erasedAt?: string;
  readonly subjects: number;
  readonly erased?: number;
  readonly alreadyErased?: number;
  readonly changed?: number;
  /** Tokens retired by an erasure, computed before deletion: downstream stores purge these rows. */
  readonly retiredTokens?: readonly string[];
  /**
   * Subjects whose key was destroyed although it failed authentication (corrupt or tampered), so their retired tokens
   * are not in `retiredTokens`: downstream stores cannot purge those rows by token (keyring SPEC K15).
   */
  readonly tokensNotComputed?: number;
  /** With `withLinked`: how many co-occurring subjects the erasure covered beyond `subjects` (keyring SPEC K42). */
  readonly linked?: number;
  /** Current tokens of restricted/unrestricted subjects: pseudonymizers evict them so the flag applies at once. */
  readonly affectedTokens?: readonly string[];
  /**
   * Erase and restrict: what happens to the subject's OCPI Sessions and CDRs (audiences/roaming.ts). They still
   * go to the eMSP that issued the token, and only to it: its own customer's billing data, kept for legal claims
   * and obligations (GDPR Art. 17(3)(b)/(e), Art. 18(2)). The operator notifies that issuer (Art. 19).
   */
  readonly roaming?: typeof ROAMING_AFTER_SUBJECT_REQUEST;
}

/**
 * The receipt of expired token epochs destroyed for a tenant (keyring SPEC K48–K50), on the receipts topic beside the
 * subject receipts, keyed `epochs/<tenant>` (a request id never holds a `/`, so no request's receipts are shadowed).
 * Epoch names and times only: no identifier, token or key.
 */
export interface EpochsReceipt {
  readonly version: 1;
  readonly kind: 'epochs';
  readonly tenant: string;
  readonly destroyed: readonly string[];
  readonly destroyedAt: string;
  /** The tenant's retention (ISO-8601) the epochs were older than. */
  readonly retention: string;
}

export type Receipt = SubjectReceipt | EpochsReceipt;

export function isSubjectReceipt(receipt: Receipt): receipt is SubjectReceipt {
  return !('kind' in receipt);
}

export function epochsReceiptKey(tenant: string): string {
  return `epochs/${tenant}`;
}

/** The receipt's `roaming` note on erase and restrict: delivery continues to the token issuer only. */
export const ROAMING_AFTER_SUBJECT_REQUEST = 'issuer_only_notify_issuer' as const;

const MAX_IDENTIFIERS = 1_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * `KIND:VALUE` from the command line or the admin API, normalized. A `uid` written in the Autocharge form
 * `VID:<MAC>` is the vehicle, exactly as the pseudonymizer reads it. Problems never quote the value.
 */
export function parseIdentifier(kind: string, raw: string): Parsed<{ kind: IdentifierKind; value: string }> {
  if (!isIdentifierKind(kind)) return { ok: false, problem: `unknown identifier kind (expected one of ${IDENTIFIER_KINDS.join(', ')})` };
  if (kind === 'uid') {
    const id = normalizeIdTag(raw);
    return id ? { ok: true, value: id } : { ok: false, problem: 'empty identifier value' };
  }
  const value = normalize(kind, raw);
  return value === undefined ? { ok: false, problem: 'empty identifier value' } : { ok: true, value: { kind, value } };
}

/** `uid:04A2B3C4` → kind and raw value (split at the first colon: values may contain colons). */
export function splitIdentifierArg(arg: string): Parsed<{ kind: string; raw: string }> {
  const at = arg.indexOf(':');
  if (at <= 0 || at === arg.length - 1) return { ok: false, problem: 'expected KIND:VALUE' };
  return { ok: true, value: { kind: arg.slice(0, at), raw: arg.slice(at + 1) } };
}


/** Validates and normalizes a request from any source (CLI, admin API, the topic). */
export function buildSubjectRequest(input: unknown): Parsed<SubjectRequest> {
  if (!isRecord(input)) return { ok: false, problem: 'request must be a JSON object' };
  const { requestId, tenant, action, identifiers, reason, requestedAt, withLinked } = input;
  if (!isRequestId(requestId)) return { ok: false, problem: `requestId must be ${REQUEST_ID_RULE}` };
  if (!isTenant(tenant)) return { ok: false, problem: `tenant must be ${TENANT_RULE}` };
  const act = action ?? 'erase';
  if (typeof act !== 'string' || !(SUBJECT_ACTIONS as readonly string[]).includes(act)) return { ok: false, problem: 'action must be erase, restrict or unrestrict' };
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1_000) return { ok: false, problem: 'reason must be 1-1000 characters' };
  if (!Array.isArray(identifiers) || identifiers.length === 0 || identifiers.length > MAX_IDENTIFIERS) {
    return { ok: false, problem: `identifiers must list 1-${MAX_IDENTIFIERS} {kind, value}` };
  }
  const normalized: Array<{ kind: IdentifierKind; value: string }> = [];
  for (const [i, id] of identifiers.entries()) {
    if (!isRecord(id) || typeof id.kind !== 'string' || typeof id.value !== 'string') return { ok: false, problem: `identifiers[${i}] must be {kind, value}` };
    const parsed = parseIdentifier(id.kind, id.value);
    if (!parsed.ok) return { ok: false, problem: `identifiers[${i}]: ${parsed.problem}` };
    if (!normalized.some((n) => n.kind === parsed.value.kind && n.value === parsed.value.value)) normalized.push(parsed.value);
  }
  const at = requestedAt === undefined ? new Date().toISOString() : requestedAt;
  if (typeof at !== 'string' || !Number.isFinite(Date.parse(at))) return { ok: false, problem: 'requestedAt must be an ISO-8601 date-time' };
  if (withLinked !== undefined && typeof withLinked !== 'boolean') return { ok: false, problem: 'withLinked must be true or false' };
  if (withLinked === true && act !== 'erase') return { ok: false, problem: 'withLinked applies to erase only' };
  return {
    ok: true,
    value: {
      version: 1,
      requestId,
      tenant,
      action: act as SubjectAction,
      identifiers: normalized,
      reason: reason.trim(),
      requestedAt: at,
      ...(withLinked === true ? { withLinked: true } : {}),
    },
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function optional(value: unknown, check: (v: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * A receipt from `privacy.erasure.events.v1` (a subject request's, or expired epochs destroyed), checked field by field (the one reader every consumer uses: the
 * pseudonymizers' evictions, the shredder's status index, the CLI). A malformed receipt is refused, never half-read:
 * an eviction that trusted a receipt without `retiredTokens` would silently evict nothing.
 */
export function parseReceipt(text: string): Parsed<Receipt> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'receipt is not JSON' };
  }
  if (!isRecord(value)) return { ok: false, problem: 'receipt must be a JSON object' };
  const r = value;
  if (r.version !== 1) return { ok: false, problem: 'receipt version must be 1' };
  if (r.kind !== undefined) {
    if (r.kind !== 'epochs') return { ok: false, problem: 'receipt kind must be epochs when set' };
    if (!isTenant(r.tenant)) return { ok: false, problem: `receipt tenant must be ${TENANT_RULE}` };
    if (!isStringArray(r.destroyed)) return { ok: false, problem: 'receipt destroyed must be a list of epoch names' };
    if (typeof r.destroyedAt !== 'string' || typeof r.retention !== 'string') return { ok: false, problem: 'receipt destroyedAt and retention must be strings' };
    return { ok: true, value: r as unknown as EpochsReceipt };
  }
  if (!isRequestId(r.requestId)) return { ok: false, problem: `receipt requestId must be ${REQUEST_ID_RULE}` };
  if (!isTenant(r.tenant)) return { ok: false, problem: `receipt tenant must be ${TENANT_RULE}` };
  if (typeof r.action !== 'string' || !(SUBJECT_ACTIONS as readonly string[]).includes(r.action)) return { ok: false, problem: 'receipt action' };
  if (r.status !== 'done' && r.status !== 'failed') return { ok: false, problem: 'receipt status must be done or failed' };
  if (typeof r.completedAt !== 'string') return { ok: false, problem: 'receipt completedAt' };
  if (!isCount(r.subjects)) return { ok: false, problem: 'receipt subjects must be a count' };
  for (const field of ['erased', 'alreadyErased', 'changed', 'tokensNotComputed', 'linked'] as const) {
    if (!optional(r[field], isCount)) return { ok: false, problem: `receipt ${field} must be a count` };
  }
  for (const field of ['retiredTokens', 'affectedTokens'] as const) {
    if (!optional(r[field], isStringArray)) return { ok: false, problem: `receipt ${field} must be a list of tokens` };
  }
  for (const field of ['requestedAt', 'erasedAt', 'error', 'roaming'] as const) {
    if (!optional(r[field], (v) => typeof v === 'string')) return { ok: false, problem: `receipt ${field} must be a string` };
  }
  return { ok: true, value: r as unknown as SubjectReceipt };
}
