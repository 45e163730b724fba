/**
 * The statistics of the report: medians across repetitions, percentiles of latency samples. Pure.
 * Percentiles use the nearest-rank method (the value of a sample, never an interpolation), so a p99 is a
 * latency some record really had.
 */

/** Nearest-rank percentile, p in [0, 100]; NaN for no samples. Sorts a copy unless told the input is sorted. */
export function percentile(samples: ArrayLike<number>, p: number, sorted = false): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError('percentile must be between 0 and 100');
  const n = samples.length;
  if (n === 0) return Number.NaN;
  const values = sorted ? samples : Float64Array.from(samples).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return values[rank - 1]!;
}

/** The median of the repetitions (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds for the report: enough digits to compare runs, none that pretend precision we do not have. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Lowest, median and highest of the repetitions, and how many there were (non-finite values left out). */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** The spread of a figure over the repetitions, rounded like the figure; undefined when nothing was measured. */
export function spread(values: readonly number[], digits = 2): Spread | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { min: round(Math.min(...finite), digits), median: round(median(finite), digits), max: round(Math.max(...finite), digits), n: finite.length };
}
