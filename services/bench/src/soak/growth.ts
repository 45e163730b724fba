/**
 * The soak's verdict (issue 11): is the pipeline's memory growing, is it falling behind? Pure.
 *
 * Memory: the least-squares slope of RSS over the second half of the run. The first half is warm-up by design:
 * the key cache fills (bounded LRU, design §4), V8 grows its heap to the size its collector settles at, the
 * broker's and the registry's clients fill their buffers; a process that has settled then holds RSS level.
 * RSS_GROWTH_MB_PER_MIN is the line. A leak worth a verdict is one that kills a pod within a working day: the
 * chart's limit is 512 MiB and the pipeline settles around 125 MB (10-minute soak, 10,000 subjects cached) to
 * 225 MB (bench/results.json, 100,000 subjects), so ~300 MB of headroom; at 1 MB/min that is gone in five hours. Slower growth is below what a run of minutes can
 * tell from the collector's sawtooth: a 10-minute run sampled every 5 s has 60 points in its second half, and
 * the measured run's sawtooth gave a standard error of 0.2-0.25 MB/min (reported beside the slope). So the verdict is
 * "growing" when the slope is over the line and more than two standard errors above zero; a long run (the
 * issue's 30 minutes) narrows the error, not the line.
 *
 * Lag: "falling behind" when the consumer lag of the second half grows by more than 1% of the offered rate
 * (events/s) and ends above five seconds of input: the pipeline then does not keep up with the load at all,
 * rather than lagging by one batch.
 */

export const RSS_GROWTH_MB_PER_MIN = 1;
/** A second half shorter than this has too few points for a slope: the verdict is "inconclusive". */
export const MIN_SECOND_HALF_S = 60;
export const LAG_GROWTH_SHARE_OF_RATE = 0.01;
export const LAG_END_SECONDS_OF_INPUT = 5;

export interface Sample {
  /** Seconds since the pipeline was ready. */
  readonly t: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  /** Raw records produced and not yet committed by the pipeline's group. */
  readonly lag: number;
  readonly produced: number;
}

export interface Fit {
  /** Units of y per second. */
  readonly slope: number;
  readonly intercept: number;
  /** Standard error of the slope (NaN under three points). */
  readonly slopeStdErr: number;
}

export function leastSquares(points: ReadonlyArray<readonly [number, number]>): Fit {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, slopeStdErr: Number.NaN };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  const slope = sxx === 0 ? Number.NaN : sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const [x, y] of points) sse += (y - (intercept + slope * x)) ** 2;
  const slopeStdErr = n > 2 && sxx > 0 ? Math.sqrt(sse / (n - 2) / sxx) : Number.NaN;
  return { slope, intercept, slopeStdErr };
}

export interface Curve {
  readonly start: number;
  readonly end: number;
  readonly min: number;
  readonly max: number;
}

export function curve(values: readonly number[]): Curve {
  return { start: values[0] ?? Number.NaN, end: values[values.length - 1] ?? Number.NaN, min: Math.min(...values), max: Math.max(...values) };
}

export type Verdict = 'stable' | 'growing' | 'falling-behind' | 'inconclusive';

export interface Judgement {
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly secondHalf: { readonly from: number; readonly samples: number };
  readonly rssMbPerMin: number;
  readonly rssMbPerMinStdErr: number;
  readonly heapMbPerMin: number;
  readonly lagPerS: number;
  readonly curves: { readonly rssMb: Curve; readonly heapUsedMb: Curve; readonly lag: Curve };
}

export function judge(samples: readonly Sample[], rate: number): Judgement {
  const end = samples.length > 0 ? samples[samples.length - 1]!.t : 0;
  const from = end / 2;
  const half = samples.filter((s) => s.t >= from);
  const rss = leastSquares(half.map((s) => [s.t, s.rssMb]));
  const heap = leastSquares(half.map((s) => [s.t, s.heapUsedMb]));
  const lag = leastSquares(half.map((s) => [s.t, s.lag]));
  const rssMbPerMin = rss.slope * 60;
  const rssMbPerMinStdErr = rss.slopeStdErr * 60;
  const reasons: string[] = [];
  let verdict: Verdict = 'stable';
  if (half.length < 5 || end - from < MIN_SECOND_HALF_S) {
    verdict = 'inconclusive';
    reasons.push(`second half of ${(end - from).toFixed(0)} s and ${half.length} samples: at least ${MIN_SECOND_HALF_S} s and 5 samples are needed for a slope`);
  } else {
    if (rssMbPerMin > RSS_GROWTH_MB_PER_MIN && rssMbPerMin - 2 * rssMbPerMinStdErr > 0) {
      verdict = 'growing';
      reasons.push(`RSS grows ${rssMbPerMin.toFixed(2)} ± ${rssMbPerMinStdErr.toFixed(2)} MB/min over the second half (line: ${RSS_GROWTH_MB_PER_MIN} MB/min)`);
    }
    const lastLag = half[half.length - 1]!.lag;
    if (lag.slope > LAG_GROWTH_SHARE_OF_RATE * rate && lastLag > LAG_END_SECONDS_OF_INPUT * rate) {
      if (verdict === 'stable') verdict = 'falling-behind';
      reasons.push(`lag grows ${lag.slope.toFixed(0)} records/s and ends at ${lastLag} (offered ${rate}/s)`);
    }
    if (reasons.length === 0) reasons.push(`RSS slope ${rssMbPerMin.toFixed(2)} ± ${rssMbPerMinStdErr.toFixed(2)} MB/min (line ${RSS_GROWTH_MB_PER_MIN}), lag keeps up`);
  }
  return {
    verdict,
    reasons,
    secondHalf: { from, samples: half.length },
    rssMbPerMin,
    rssMbPerMinStdErr,
    heapMbPerMin: heap.slope * 60,
    lagPerS: lag.slope,
    curves: {
      rssMb: curve(samples.map((s) => s.rssMb)),
      heapUsedMb: curve(samples.map((s) => s.heapUsedMb)),
      lag: curve(samples.map((s) => s.lag)),
    },
  };
}
