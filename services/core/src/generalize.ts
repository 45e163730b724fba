/**
 * Generalizers for quasi-identifiers (design §6): coarser values that keep their analytic use.
 * Pure functions; the policy picks one per field and validates its parameter at start.
 */
export type TimeGranularity = 'second' | 'minute' | 'hour' | 'day';

export type Generalizer =
  | { readonly time: TimeGranularity }
  | { readonly grid: number }
  | { readonly prefix: number }
  | { readonly step: number };

const TIME_UNIT_MS: Record<TimeGranularity, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** Truncates epoch milliseconds (UTC) down to the granularity. */
export function truncateTime(epochMs: number, granularity: TimeGranularity): number {
  const unit = TIME_UNIT_MS[granularity];
  return Math.floor(epochMs / unit) * unit;
}

/**
 * Snaps a coordinate to the south-west corner of its grid cell (0.01° ≈ 1.1 km of latitude), rounded to
 * the grid's decimals so 0.1 + 0.2 noise never leaks extra precision.
 */
export function snapToGrid(degrees: number, grid: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(grid)));
  return Number((Math.floor(degrees / grid) * grid).toFixed(decimals));
}

/** First `length` characters of a postal code, spaces removed and upper-cased ("1011 AC" → "101"). */
export function postalPrefix(code: string, length: number): string {
  return code.replace(/\s+/g, '').toUpperCase().slice(0, length);
}

/** Floors a number to a multiple of `step` (state of charge 67 % with step 10 → 60). */
export function bucket(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

export function describeGeneralizer(g: Generalizer): string {
  if ('time' in g) return `time:${g.time}`;
  if ('grid' in g) return `grid:${g.grid}`;
  if ('prefix' in g) return `prefix:${g.prefix}`;
  return `step:${g.step}`;
}
