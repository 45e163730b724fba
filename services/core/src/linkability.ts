/**
 * Retention-bounded linkability (keyring SPEC K44–K50): a tenant's tokens are stable within an epoch (a window of a
 * fixed length counted from 1970-01-01T00:00Z) and differ across epochs; an epoch older than the retention has its key
 * material destroyed. Pure arithmetic, shared by the transform (which epoch an event belongs to), the key ring (is it
 * expired) and the ops commands (which epochs to destroy).
 */

export const DAY_MS = 86_400_000;

/**
 * Durations are ISO-8601 with ONE component of days, weeks, months or years (`P90D`, `P13W`, `P6M`, `P2Y`), counted
 * exactly so every instance and every replay agrees on epoch boundaries without a calendar: a week is 7 days, a
 * month 30 days, a year 365 days (so `P2Y` is 730 days). Mixed forms (`P1Y2M`), times (`PT1H`), fractions and zero
 * are refused.
 */
const DURATION = /^P([1-9][0-9]{0,4})([DWMY])$/;
const UNIT_DAYS: Readonly<Record<string, number>> = { D: 1, W: 7, M: 30, Y: 365 };
/** No window or retention beyond 100 years: a typo of extra digits is refused rather than keeping data for ever. */
export const MAX_DURATION_DAYS = 36_500;

/** The duration in whole days, or undefined when the text is not one of the exact forms above. */
export function durationDays(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const days = Number(match[1]) * UNIT_DAYS[match[2]!]!;
  return days <= MAX_DURATION_DAYS ? days : undefined;
}

export interface Linkability {
  /** The policy's text, e.g. `P90D`. */
  readonly window: string;
  readonly retention: string;
  readonly windowMs: number;
  readonly retentionMs: number;
}

/** The epoch an event time falls in; NaN for no valid time (the caller gives such an event no token). */
export function epochOf(at: number, windowMs: number): number {
  return Number.isFinite(at) ? Math.floor(at / windowMs) : Number.NaN;
}

/**
 * K46: an epoch is expired once its last instant is older than the retention: (epoch + 1) × window + retention ≤ now.
 * From then on no event of it gets a token and its secret may be (and is, by `destroy-expired`) destroyed.
 */
export function epochExpired(epoch: number, windowMs: number, retentionMs: number, now: number): boolean {
  return !Number.isFinite(epoch) || (epoch + 1) * windowMs + retentionMs <= now;
}

/** The epoch's name in the key ring and the journal: window length in days and index, e.g. `30d:684`. */
export function epochName(epoch: number, windowMs: number): string {
  return `${windowMs / DAY_MS}d:${epoch}`;
}

/** The start (inclusive) and end (exclusive) of an epoch, epoch ms. */
export function epochBounds(epoch: number, windowMs: number): { readonly start: number; readonly end: number } {
  return { start: epoch * windowMs, end: (epoch + 1) * windowMs };
}

const EPOCH_NAME = /^([1-9][0-9]{0,4})d:(-?[0-9]{1,9})$/;

/** The inverse of epochName; undefined for anything else. */
export function parseEpochName(name: string): { readonly windowMs: number; readonly epoch: number } | undefined {
  const match = EPOCH_NAME.exec(name);
  if (match === null) return undefined;
  return { windowMs: Number(match[1]) * DAY_MS, epoch: Number(match[2]) };
}

/**
 * K48: which of a tenant's live stored epochs are expired under its retention now, whatever window they were cut with
 * (a policy whose window changed leaves epochs of the old length behind; they expire by their own end). Sorted.
 */
export function expiredEpochNames(
  stored: ReadonlyArray<{ readonly name: string; readonly destroyedAt: number | null }>,
  retentionMs: number,
  now: number,
): string[] {
  const out: Array<{ name: string; end: number }> = [];
  for (const { name, destroyedAt } of stored) {
    if (destroyedAt !== null) continue;
    const parsed = parseEpochName(name);
    if (parsed !== undefined && epochExpired(parsed.epoch, parsed.windowMs, retentionMs, now)) {
      out.push({ name, end: (parsed.epoch + 1) * parsed.windowMs });
    }
  }
  return out.sort((a, b) => a.end - b.end || (a.name < b.name ? -1 : 1)).map((e) => e.name);
}
