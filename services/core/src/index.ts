/** @ampseal/core: the pure transform. No Kafka, Redis, KMS or HTTP in here (style rule 1). */

export { isRecord, isRequestId, isTenant, parseDateTime, REQUEST_ID_RULE, TENANT_RULE } from './rules';
export { AmpsealError, ERRORS, INPUT_REASONS, QUARANTINE_REASONS, isRetriable, TLS_UNTRUSTED_CODES, type ErrorName, type ReasonCode } from './errors';
export { IDENTIFIER_KINDS, isIdentifierKind, type IdentifierKind, type Subject } from './identifiers';
export type { CooccurrenceGroup, EpochSpec, LinkScope, SiteLinks, TokenOutcome, TokenRequest, TokenSource, TokenStatus } from './tokens';
export { DAY_MS, durationDays, epochBounds, epochExpired, epochName, epochOf, expiredEpochNames, parseEpochName, type Linkability } from './linkability';
export { normalize, normalizeIdTag, normalizeIdToken, type NormalizedIdentifier } from './normalize';
export * from './catalog';
export type { Envelope, OcppEnvelope, OcpiEnvelope, Fleet } from './envelope';
export { createInputParser, DEFAULT_MAX_BYTES, type InputParser, type InputParserOptions } from './input';
export { DEFAULT_SCHEMA_DIR } from './validation/schema-dir';
export { compilePolicy, parsePolicy, type CompiledPolicy, type FieldAction, type TenantPolicy } from './policy';
export type { Generalizer } from './generalize';
export type { ChargingSessionEvent, PseudonymizedIdentifier } from './audiences/analytics';
export { issuerOf, parseRecipient, roamingTopic, RECIPIENT_PLACEHOLDER, type IssuerResult, type RoamingRecord } from './audiences/roaming';
export { Transform, type Audience, type InputRecord, type RecordResult, type SkipReason, type TransformOptions } from './transform';

/** The policy shipped with ampseal (services/core/policies/default.yaml): the default for every audience. */
export { DEFAULT_POLICY_FILE } from './paths';
export { createTransform, readPolicyFile, type CreateTransformOptions } from './create-transform';
/** schemas/avro/charging-session-event.avsc (the analytics record) and its earlier versions: see @ampseal/schemas. */
export { ANALYTICS_SCHEMA_FILE, ANALYTICS_SCHEMA_HISTORY } from '@ampseal/schemas';
export {
  buildSubjectRequest,
  epochsReceiptKey,
  isSubjectReceipt,
  parseIdentifier,
  parseReceipt,
  ROAMING_AFTER_SUBJECT_REQUEST,
  splitIdentifierArg,
  SUBJECT_ACTIONS,
  type EpochsReceipt,
  type Receipt,
  type SubjectAction,
  type SubjectReceipt,
  type SubjectRequest,
} from './erasure';
export { MIN_SIGNING_KEY_BYTES, REQUEST_SIGNATURE_HEADER, signRequest, verifyRequest, type SignatureCheck } from './request-signature';
