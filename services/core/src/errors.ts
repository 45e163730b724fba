/**
 * The one error table. Quarantine reason codes and metric labels derive from it; every failure is
 * classified here as retriable (a dependency is down: pause and retry) or not (bad input: quarantine).
 * Messages are fixed text: they never carry an identifier, a key or a blind index.
 */
export const ERRORS = {
  // Input: not retriable, the record goes to quarantine with `reason`.
  BAD_JSON: { stage: 'input', reason: 'bad_json', retriable: false, message: 'record is not valid JSON' },
  TOO_LARGE: { stage: 'input', reason: 'too_large', retriable: false, message: 'record exceeds the maximum size' },
  BAD_ENVELOPE: { stage: 'input', reason: 'bad_envelope', retriable: false, message: 'envelope is missing a field or has a wrong type' },
  UNKNOWN_SOURCE: { stage: 'input', reason: 'unknown_source', retriable: false, message: 'source is not ocpp1.6, ocpp2.0.1 or ocpi2.2.1' },
  BAD_FRAME: { stage: 'input', reason: 'bad_frame', retriable: false, message: 'OCPP-J frame is not a CALL, CALLRESULT or CALLERROR array' },
  MISSING_ACTION: { stage: 'input', reason: 'missing_action', retriable: false, message: 'CALLRESULT envelope has no action' },
  ACTION_MISMATCH: { stage: 'input', reason: 'action_mismatch', retriable: false, message: 'envelope action differs from the CALL frame action' },
  UNKNOWN_ACTION: { stage: 'input', reason: 'unknown_action', retriable: false, message: 'action is not an OCPP message of this version' },
  UNKNOWN_MODULE: { stage: 'input', reason: 'unknown_module', retriable: false, message: 'OCPI module is not sessions, cdrs, tokens or locations' },
  SCHEMA_VIOLATION: { stage: 'input', reason: 'schema_violation', retriable: false, message: 'payload does not match the official schema' },
  // A tenant outside the configured list has no root key: quarantined, or one record would stall a partition.
  UNKNOWN_TENANT: { stage: 'record', reason: 'unknown_tenant', retriable: false, message: 'tenant is not configured' },
  // KMS refuses the tenant's root key (no such alias, disabled, pending deletion, access denied): retrying cannot help
  // until an operator acts, and retrying would stall the partition; the tenant's records are quarantined (lossless:
  // replay them once the key is fixed) and every other tenant's flow on.
  TENANT_KEY_REFUSED: { stage: 'record', reason: 'tenant_key_refused', retriable: false, message: "KMS refused the tenant's root key" },
  // A string with a lone UTF-16 surrogate: normalization would turn it into U+FFFD and merge distinct values.
  BAD_UNICODE: { stage: 'input', reason: 'bad_unicode', retriable: false, message: 'a string holds a lone surrogate' },
  // Numbers are read in decimal notation only; hex, binary, exponent or signs in text are refused, not coerced.
  BAD_NUMBER: { stage: 'record', reason: 'bad_number', retriable: false, message: 'a numeric field is not in decimal notation' },
  // Non-finite, or an integer beyond 2^53 that JSON parsing has already rounded: refused, never passed on.
  NUMBER_OUT_OF_RANGE: { stage: 'record', reason: 'number_out_of_range', retriable: false, message: 'a numeric field is out of range' },
  // The payload's time is further ahead of receivedAt than the allowed clock skew: a station clock that runs ahead
  // (or a forged time) must not move an event past an erasure (keyring SPEC K17).
  EVENT_TIME_AHEAD: { stage: 'record', reason: 'event_time_ahead', retriable: false, message: 'event time is ahead of receivedAt by more than the allowed clock skew' },
  // OCPI CdrToken.country_code / party_id not of the OCPI form (2 letters / 3 alphanumerics): no safe recipient.
  BAD_ISSUER: { stage: 'record', reason: 'bad_issuer', retriable: false, message: 'token issuer country_code or party_id is malformed' },
  // A well-formed issuer that this deployment has no roaming topic for (topic creation off, topic missing).
  UNKNOWN_RECIPIENT: { stage: 'record', reason: 'unknown_recipient', retriable: false, message: 'no roaming topic for the token issuer' },
  // The transform's analytics record does not fit the analytics Avro schema (a policy and schema out of step): that
  // record is quarantined, the records behind it flow on.
  ENCODE_FAILED: { stage: 'record', reason: 'encode_failed', retriable: false, message: 'analytics record does not fit the analytics schema' },
  // Data-subject requests and the key ring's own inputs: the request is answered with a failed receipt (or the
  // command stops), nothing is written.
  BAD_REQUEST: { stage: 'request', reason: 'bad_request', retriable: false, message: 'data-subject request is malformed' },
  BAD_REQUEST_ID: { stage: 'request', reason: 'bad_request_id', retriable: false, message: 'request id is malformed' },
  BAD_TENANT: { stage: 'request', reason: 'bad_tenant', retriable: false, message: 'tenant name is malformed' },
  BAD_ERASURE_TIME: { stage: 'request', reason: 'bad_erasure_time', retriable: false, message: 'erasure time is not a valid epoch time' },
  // A request id already used for an erasure of other subjects: ticket numbers are reused in practice, and a silent
  // "done" with the first request's result would leave the second subject's key in place (keyring SPEC K16).
  REQUEST_ID_REUSED: { stage: 'request', reason: 'request_id_reused', retriable: false, message: 'request id was already used for another request' },
  // A request record without a valid signature of a holder of the signing key (the admin API, the CLI): forged, or
  // written by a producer that does not sign; nothing is executed (docs/erasure.md, "Who may write requests").
  REQUEST_SIGNATURE_INVALID: { stage: 'request', reason: 'bad_signature', retriable: false, message: 'data-subject request is unsigned or its signature does not verify' },
  BAD_TOMBSTONE: { stage: 'request', reason: 'bad_tombstone', retriable: false, message: 'a tombstone journal record is malformed' },
  // The admin listener's console (services/shredder/src/console): a call refused with an HTTP status, nothing done.
  // No session, an expired one, or a token no operator holds: the sign-in page, never the page asked for.
  CONSOLE_SIGN_IN_REQUIRED: { stage: 'operator', reason: 'sign_in_required', retriable: false, message: 'sign in with an operator token' },
  // A form posted without this session's form token, or from another origin (cross-site request forgery).
  CONSOLE_FORM_REFUSED: { stage: 'operator', reason: 'form_refused', retriable: false, message: 'the form is stale or came from another site: reload the page and submit again' },
  // The form's fields do not make a request; the problem names a field or an identifier's position, never its value.
  CONSOLE_BAD_FORM: { stage: 'operator', reason: 'bad_form', retriable: false, message: 'the form does not make a valid request' },
  // Dependencies: retriable, the processor pauses and resumes by itself.
  KEYRING_UNAVAILABLE: { stage: 'dependency', reason: 'keyring_unavailable', retriable: true, message: 'key store did not answer' },
  KMS_UNAVAILABLE: { stage: 'dependency', reason: 'kms_unavailable', retriable: true, message: 'KMS did not answer' },
  BROKER_UNAVAILABLE: { stage: 'dependency', reason: 'broker_unavailable', retriable: true, message: 'Kafka did not answer' },
  REGISTRY_UNAVAILABLE: { stage: 'dependency', reason: 'registry_unavailable', retriable: true, message: 'schema registry did not answer' },
  // An exact read (readToEnd: the tombstone journal on restore, receipts for `erase --wait`) waits for transactions
  // open when it started; one still open at its deadline (a producer that crashed or stalls inside it, until the
  // broker aborts it at its transaction timeout) fails the read rather than leave its records out.
  TRANSACTION_OPEN: { stage: 'dependency', reason: 'transaction_open', retriable: true, message: 'a Kafka transaction open when the read started was neither committed nor aborted in time' },
  // Set-up and integrity: not retriable, the process stops with the message.
  CONFIG_INVALID: { stage: 'setup', reason: 'config_invalid', retriable: false, message: 'configuration is invalid' },
  // The registry refused the analytics schema under the subject's compatibility mode: a deploy must stop.
  SCHEMA_INCOMPATIBLE: { stage: 'setup', reason: 'schema_incompatible', retriable: false, message: 'analytics schema is not compatible with the registered one' },
  // A dependency refused our credentials (Kafka SASL, Redis AUTH, registry 401/403): waiting cannot fix a wrong
  // password or an unknown user, so start-up stops with the dependency named (never the user or the secret).
  AUTHENTICATION_FAILED: { stage: 'setup', reason: 'authentication_failed', retriable: false, message: 'a dependency refused the credentials' },
  // The server's TLS certificate did not verify against the configured CA bundle, or names another host: the
  // connection may be intercepted, so nothing is sent and start-up stops.
  TLS_UNTRUSTED: { stage: 'setup', reason: 'tls_untrusted', retriable: false, message: "a dependency's TLS certificate is not trusted" },
  // A programming or wiring error inside ampseal (an invariant broke): the process stops; never input's fault.
  INTERNAL: { stage: 'setup', reason: 'internal', retriable: false, message: 'internal error' },
  POLICY_INVALID: { stage: 'setup', reason: 'policy_invalid', retriable: false, message: 'audience policy is invalid' },
  KEY_INTEGRITY: { stage: 'setup', reason: 'key_integrity', retriable: false, message: 'a stored key failed authentication' },
  // The running instance can no longer do its work and will not recover by waiting (the Kafka edge maps kafkajs
  // errors to these in one place): not ready with the reason, the stream stops, the process exits non-zero so the
  // orchestrator starts a fresh one.
  PRODUCER_FENCED: { stage: 'instance', reason: 'producer_fenced', retriable: false, message: 'another producer with the same transactional id fenced this one' },
  KAFKA_AUTHORIZATION: { stage: 'instance', reason: 'kafka_authorization', retriable: false, message: 'Kafka refused an operation: not authorized' },
  STREAM_FAILED: { stage: 'instance', reason: 'stream_failed', retriable: false, message: 'the Kafka client failed and will not recover by itself' },
  // A handler thread (AMPSEAL_HANDLER_THREADS) exited or crashed: its key ring and the chunks it held are gone, and a
  // fresh process is simpler to trust than a respawned thread beside the old one's half-handled chunks.
  HANDLER_THREAD_EXITED: { stage: 'instance', reason: 'handler_thread_exited', retriable: false, message: 'a handler thread exited' },
} as const;

/**
 * Node's TLS verification failures (the socket error's `code`, which Kafka, Redis and registry clients keep it): the
 * server's certificate does not chain to the configured CA, has expired, or names another host. Clients count them
 * as connection errors and would retry; they are TLS_UNTRUSTED, a set-up error, and retrying only hides them.
 */
export const TLS_UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export type ErrorName = keyof typeof ERRORS;
export type ReasonCode = (typeof ERRORS)[ErrorName]['reason'];
/**
 * Stages: `input` (the parser: size, JSON, envelope, schema), `record` (the transform or routing: tenant, numbers,
 * roaming issuer), both quarantined; `request` (a data-subject request or key-ring input: failed receipt, nothing
 * written); `dependency` (retriable); `setup` (the process stops); `instance` (a running instance fails for good:
 * not ready, the process exits non-zero to be restarted); `operator` (the admin console refuses a call).
 * The reasons the input parser gives.
 */
export const INPUT_REASONS = Object.values(ERRORS)
  .filter((e) => e.stage === 'input')
  .map((e) => e.reason);
/** Every reason a record can be quarantined for: input errors, and what the transform or routing finds. */
export const QUARANTINE_REASONS = Object.values(ERRORS)
  .filter((e) => e.stage === 'input' || e.stage === 'record')
  .map((e) => e.reason);

export class AmpsealError extends Error {
  readonly code: `AMPSEAL_ERR_${ErrorName}`;
  readonly reason: ReasonCode;
  readonly retriable: boolean;
  /** Where in the pipeline the failure belongs (see ERRORS): `record` failures quarantine one record, not a batch. */
  readonly stage: (typeof ERRORS)[ErrorName]['stage'];

  /** Input errors: the JSON pointer of the failing value (property names and array indices, never a value). */
  readonly pointer?: string;
  /** Input errors: the rule that failed (a JSON Schema keyword such as `maxLength`, or `decimal`, `range`). */
  readonly keyword?: string;

  /**
   * @param detail free text added to the message: field paths, variable names, counts, never values.
   */
  constructor(name: ErrorName, detail?: string, options?: { cause?: unknown; pointer?: string; keyword?: string }) {
    const def = ERRORS[name];
    super(detail ? `${def.message}: ${detail}` : def.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmpsealError';
    this.code = `AMPSEAL_ERR_${name}`;
    this.reason = def.reason;
    this.retriable = def.retriable;
    this.stage = def.stage;
    if (options?.pointer !== undefined) this.pointer = options.pointer;
    if (options?.keyword !== undefined) this.keyword = options.keyword;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof AmpsealError && err.retriable;
}

const STAGE_EFFECT: Readonly<Record<(typeof ERRORS)[ErrorName]['stage'], string>> = {
  input: 'record quarantined',
  record: 'record quarantined',
  request: 'failed receipt, nothing written',
  dependency: 'retried: fail closed, not ready',
  setup: 'process stops',
  operator: 'the console answers with the status and this message, nothing done',
  instance: 'not ready, process exits non-zero (restarted)',
};

/**
 * The README's error section, generated from this table (`npm run docs:errors` writes it; a test fails when the
 * README is stale), so the documented codes are the raised ones.
 */
export function errorTableMarkdown(): string {
  const rows = (Object.keys(ERRORS) as ErrorName[]).map((name) => {
    const e = ERRORS[name];
    return `| \`AMPSEAL_ERR_${name}\` | \`${e.reason}\` | ${e.retriable ? 'yes' : 'no'} | ${STAGE_EFFECT[e.stage]} | ${e.message} |`;
  });
  return ['| code | reason (metric label, quarantine header) | retriable | effect | message |', '|---|---|---|---|---|', ...rows].join('\n');
}
