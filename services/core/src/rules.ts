/**
 * One definition per domain rule (style rule 18): every reader of a tenant name, a request id, a date-time or a
 * JSON object uses these, so the rules cannot drift between the envelope, the policy, the configuration, the
 * key ring, the shredder and the CLI.
 */

/**
 * A tenant name. It becomes part of a KMS alias (`alias/ampseal/<tenant>`), a Redis hash tag (`{<tenant>}`) and an
 * AAD, hence the narrow alphabet: lower-case letters, digits and hyphens, at most 63, not starting with a hyphen.
 */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const TENANT_RULE = 'lower-case letters, digits and -, at most 63, not starting with -';

export function isTenant(value: unknown): value is string {
  return typeof value === 'string' && TENANT_PATTERN.test(value);
}

/**
 * A data-subject request id: a ticket number or a UUID. It is a Kafka record key, a Redis key part and a URL path
 * segment (`/admin/v1/requests/{id}`), so no spaces, slashes or braces.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_RULE = '1-128 of A-Z a-z 0-9 . _ : -';

export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 3339 date-time with a mandatory offset (a local time would be ambiguous); ranges checked here, day of month
 * below, because Date.parse rolls 2026-02-30 over to March and accepts 24:00.
 */
const DATE_TIME =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of an RFC 3339 date-time with offset, or undefined when it is not one. */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > maxDay) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
