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

/*
 * Date-times are on every record (several per OCPP frame), so both checks below read their digits by character code
 * after one allocation-free regex test: `exec` and `split` made a match array and substrings per date-time, about a
 * tenth of the bytes the transform allocated per event.
 */

/** Two ASCII digits at `at` as a number (the caller's regex has already checked they are digits). */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1–12) of a Gregorian year (RFC 3339 appendix C). */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * RFC 3339 date-time with a mandatory offset (a local time would be ambiguous); ranges checked here, day of month
 * below, because Date.parse rolls 2026-02-30 over to March and accepts 24:00.
 */
const DATE_TIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/** Epoch ms of an RFC 3339 date-time with offset, or undefined when it is not one. */
export function parseDateTime(text: string): number | undefined {
  if (!DATE_TIME.test(text)) return undefined;
  if (twoDigits(text, 8) > daysIn(twoDigits(text, 0) * 100 + twoDigits(text, 2), twoDigits(text, 5))) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The shape `format: date-time` takes in JSON Schema (RFC 3339 §5.6, the offset required); ranges checked below. */
const SCHEMA_DATE_TIME = /^\d{4}-\d\d-\d\d[t\s]\d\d:\d\d:\d\d(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * JSON Schema `format: date-time` as the OCPP schemas are validated against it: what ajv-formats 3 accepts in its
 * full mode with a required time zone (a `T`, `t` or white-space separator, any fraction, `±hh`, `±hhmm` or
 * `±hh:mm`, a leap second only at 23:59:60 UTC), checked here without allocating. validation/date-time.test.ts
 * holds it to ajv-formats' own function over generated strings, so the two cannot drift apart.
 */
export function isSchemaDateTime(text: string): boolean {
  if (!SCHEMA_DATE_TIME.test(text)) return false;
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(twoDigits(text, 0) * 100 + twoDigits(text, 2), month)) return false;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  let at = 19;
  if (text.charCodeAt(at) === 46 /* . */) do at++; while (at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57);
  let zoneHours = 0;
  let zoneMinutes = 0;
  let sign = 1;
  const zone = text.charCodeAt(at);
  if (zone === 43 /* + */ || zone === 45 /* - */) {
    sign = zone === 45 ? -1 : 1;
    zoneHours = twoDigits(text, at + 1);
    if (text.length > at + 3) zoneMinutes = twoDigits(text, text.charCodeAt(at + 3) === 58 /* : */ ? at + 4 : at + 3);
  }
  if (zoneHours > 23 || zoneMinutes > 59) return false;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  // A leap second: 23:59:60 in UTC, wherever the offset puts it locally.
  const utcMinute = minute - zoneMinutes * sign;
  const utcHour = hour - zoneHours * sign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61;
}
