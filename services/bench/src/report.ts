import { type Spread, round } from './stats';

/**
 * The report of one benchmark run (design §10): the contract keys of `bench/results.json`, the targets of
 * the issue as pass/fail lines (they are goals, not tests), the table printed to stdout and the `--compare`
 * ratios against an earlier results file. Pure: no I/O here.
 */

/** The keys design §10 promises in `bench/results.json` (contract). */
export const CONTRACT_KEYS = [
  'transform_events_per_s',
  'pipeline_events_per_s',
  'passthrough_events_per_s',
  'pipeline_to_passthrough',
  'latency_p50_ms',
  'latency_p99_ms',
  'kms_calls_per_1k_events',
  'redis_roundtrips_per_1k_events',
  'peak_rss_mb',
  'events',
  'distinct_subjects',
  'exactly_once',
] as const;

export type ContractKey = (typeof CONTRACT_KEYS)[number];

export interface Headline {
  readonly transform_events_per_s: number;
  readonly pipeline_events_per_s: number;
  readonly passthrough_events_per_s: number;
  readonly pipeline_to_passthrough: number;
  readonly latency_p50_ms: number;
  readonly latency_p99_ms: number;
  readonly kms_calls_per_1k_events: number;
  readonly redis_roundtrips_per_1k_events: number;
  readonly peak_rss_mb: number;
  readonly events: number;
  readonly distinct_subjects: number;
  readonly exactly_once: boolean;
  /** Anything else numeric the run measured (shown in the table and compared, not targeted). */
  readonly [extra: string]: number | boolean | string | undefined | object;
}

export type Direction = 'higher' | 'lower';

export interface Target {
  /** A contract key, or another figure of the results (`pipeline_to_passthrough_min`). */
  readonly key: string;
  readonly label: string;
  readonly op: '>=' | '<=';
  readonly value: number;
  /** A condition the measurement needs to count (RSS is judged with at least 100k distinct subjects). */
  readonly needs?: { readonly key: ContractKey; readonly atLeast: number };
}

/**
 * The targets of issue 14, judged on one run (2 cores shared with the broker, the registry and Redis). Printed as
 * pass/fail lines; they never fail the run. Not targets but reported beside them: the Java peer's events/s and
 * every process's CPU per 1,000 events (the peer table).
 */
export const TARGETS: readonly Target[] = [
  { key: 'transform_events_per_s', label: 'transform alone, events/s on one core', op: '>=', value: 100_000 },
  { key: 'pipeline_to_passthrough', label: 'pipeline / passthrough (median of the repetitions)', op: '>=', value: 0.85 },
  { key: 'pipeline_to_passthrough_min', label: 'pipeline / passthrough, every repetition (the lowest)', op: '>=', value: 0.8 },
  { key: 'latency_p99_ms', label: 'p99 latency at 5,000 events/s, exactly-once, ms', op: '<=', value: 100 },
  { key: 'latency_at_least_once_p99_ms', label: 'p99 latency at 5,000 events/s, at-least-once, ms', op: '<=', value: 25 },
  { key: 'kms_calls_per_1k_events', label: 'KMS calls per 1,000 events (1 per million)', op: '<=', value: 0.001 },
  // Unchanged by issue 14 ("unchanged or better"): at most one round trip per transaction chunk in steady state.
  { key: 'redis_roundtrips_per_1k_events', label: 'Redis round trips per 1,000 events', op: '<=', value: 20 },
  { key: 'peak_rss_mb', label: 'peak RSS of the pipeline, MB', op: '<=', value: 192, needs: { key: 'distinct_subjects', atLeast: 100_000 } },
];

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface TargetResult {
  readonly target: Target;
  readonly value: number;
  readonly verdict: Verdict;
  /** value / target: above 1 is better for '>=' targets, below 1 is better for '<=' targets. */
  readonly ratio: number;
  readonly note?: string;
}

export function judge(results: Headline, targets: readonly Target[] = TARGETS): TargetResult[] {
  return targets.map((target) => {
    const value = results[target.key] as number;
    const ratio = value / target.value;
    if (!Number.isFinite(value)) return { target, value, verdict: 'fail', ratio, note: 'not measured' };
    const met = target.op === '>=' ? value >= target.value : value <= target.value;
    const need = target.needs;
    if (need !== undefined) {
      const have = results[need.key] as number;
      // A pass under an easier condition proves nothing; a fail under it is still a fail.
      if (met && !(have >= need.atLeast)) {
        return { target, value, verdict: 'inconclusive', ratio, note: `only ${formatNumber(have)} ${need.key.replace(/_/g, ' ')} (needs ${formatNumber(need.atLeast)})` };
      }
    }
    return { target, value, verdict: met ? 'pass' : 'fail', ratio };
  });
}

/** Which way is better, for --compare; undefined for counts that describe the data, not the speed. */
export function direction(key: string): Direction | undefined {
  if (/_events_per_s$|_to_|_share$/.test(key)) return 'higher';
  if (/_ms$|_mb$|_per_1k_events$/.test(key)) return 'lower';
  return undefined;
}

export function formatNumber(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (value === 0) return '0';
  return value.toFixed(3);
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'NO';
  return String(value);
}

/** A plain text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** The figure each key's spread belongs to, by key (`spread` of results.json). */
export type Spreads = Readonly<Record<string, Spread | undefined>>;

/**
 * The rows of the main table: every contract key (and, after one, the targets about it, like its lowest
 * repetition), its value (the median of the repetitions), min and max over them, target and verdict.
 */
export function resultsTable(results: Headline, verdicts: readonly TargetResult[] = judge(results), spreads: Spreads = {}): string {
  const byKey = new Map(verdicts.map((v) => [v.target.key, v]));
  const keys = CONTRACT_KEYS.flatMap((key) => [key, ...verdicts.map((v) => v.target.key).filter((k) => k.startsWith(`${key}_`))]);
  const rows = keys.map((key) => {
    const v = byKey.get(key);
    const value = formatValue(results[key] ?? v?.value);
    const s = spreads[key];
    const range = s && s.n > 1 ? [formatNumber(s.min), formatNumber(s.max)] : ['', ''];
    if (key === 'exactly_once') return [key, value, ...range, 'yes', '', results.exactly_once ? 'pass' : 'FAIL'];
    if (v === undefined) return [key, value, ...range, '', '', ''];
    return [key, value, ...range, `${v.target.op} ${formatNumber(v.target.value)}`, `${round(v.ratio, 2).toFixed(2)}x`, v.verdict === 'fail' ? 'FAIL' : v.verdict];
  });
  return table(['metric', 'value', 'min', 'max', 'target', 'vs target', 'verdict'], rows);
}

/** One process of the peer table: its events/s and CPU per 1,000 events over the repetitions. */
export interface PeerRow {
  readonly name: string;
  readonly eventsPerS: Spread | undefined;
  readonly cpuMsPer1k: Spread | undefined;
  /** The local broker's CPU per 1,000 events while this process ran (what the client costs the broker). */
  readonly brokerCpuMsPer1k?: Spread | undefined;
  /** Why a figure is missing (the Java peer skipped), or what the row measures differently. */
  readonly note?: string;
}

/** The processes side by side: events/s and CPU ms per 1,000 events, each as median, min and max. */
export function peerTable(rows: readonly PeerRow[]): string {
  const cells = (s: Spread | undefined) => (s === undefined ? ['-', '', ''] : [formatNumber(s.median), formatNumber(s.min), formatNumber(s.max)]);
  return table(
    ['process', 'events/s', 'min', 'max', 'CPU ms/1k events', 'min', 'max', 'broker CPU ms/1k', 'note'],
    rows.map((r) => [r.name, ...cells(r.eventsPerS), ...cells(r.cpuMsPer1k), r.brokerCpuMsPer1k === undefined ? '-' : formatNumber(r.brokerCpuMsPer1k.median), r.note ?? '']),
  );
}

/** What the run ran on: the CPU as /proc/cpuinfo names it, and how busy the machine was when it began. */
export function machineLine(machine: { readonly cpu: string; readonly cpu_signature?: string; readonly cores: number; readonly load_average_at_start: readonly number[] }): string {
  const signature = machine.cpu_signature ? ` (${machine.cpu_signature})` : '';
  const load = machine.load_average_at_start.map((l) => l.toFixed(2)).join(' ');
  return `${machine.cpu}${signature}, ${machine.cores} cores; load average at start ${load} (1, 5, 15 min)`;
}

/** One line per target, for the end of the output. */
export function verdictLines(verdicts: readonly TargetResult[]): string {
  return (
    verdicts
      .map((v) => {
        const head = `${v.verdict === 'fail' ? 'FAIL' : v.verdict.toUpperCase()}  ${v.target.label}: ${formatNumber(v.value)} (target ${v.target.op} ${formatNumber(v.target.value)})`;
        if (v.note) return `${head}: ${v.note}`;
        if (v.verdict === 'fail' && Number.isFinite(v.value)) {
          const gap = v.target.op === '>=' ? v.target.value / v.value : v.value / v.target.value;
          return `${head}: off by ${round(gap, 2).toFixed(2)}x`;
        }
        return head;
      })
      .join('\n') + '\n'
  );
}

export interface ComparisonRow {
  readonly key: string;
  readonly before: number;
  readonly after: number;
  /** after / before. */
  readonly ratio: number;
  readonly better: boolean | undefined;
}

/** Numbers in results.json that describe how the run was set up, not what it measured. */
const SETTINGS = new Set(['seed', 'repetitions', 'wall_seconds', 'latency_offered_events_per_s']);

/** Numeric top-level keys present in both files (settings aside), contract keys first. */
export function compare(before: Record<string, unknown>, after: Record<string, unknown>): ComparisonRow[] {
  const extra = Object.keys(after).filter((k) => !(CONTRACT_KEYS as readonly string[]).includes(k) && !SETTINGS.has(k));
  const keys = [...CONTRACT_KEYS, ...extra.sort()];
  const rows: ComparisonRow[] = [];
  for (const key of keys) {
    const b = before[key];
    const a = after[key];
    if (typeof a !== 'number' || typeof b !== 'number') continue;
    const ratio = b === 0 ? (a === 0 ? 1 : Number.POSITIVE_INFINITY) : a / b;
    const dir = direction(key);
    const better = dir === undefined || ratio === 1 ? undefined : dir === 'higher' ? ratio > 1 : ratio < 1;
    rows.push({ key, before: b, after: a, ratio, better });
  }
  return rows;
}

export function comparisonTable(rows: readonly ComparisonRow[]): string {
  return table(
    ['metric', 'before', 'after', 'after/before', ''],
    rows.map((r) => [
      r.key,
      formatNumber(r.before),
      formatNumber(r.after),
      Number.isFinite(r.ratio) ? `${round(r.ratio, 3).toFixed(3)}x` : 'n/a',
      r.better === undefined ? '' : r.better ? 'better' : 'worse',
    ]),
  );
}
