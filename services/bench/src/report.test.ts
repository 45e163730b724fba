import { CONTRACT_KEYS, TARGETS, compare, comparisonTable, direction, formatNumber, judge, resultsTable, table, verdictLines, type Headline } from './report';

const results: Headline = {
  transform_events_per_s: 80_000,
  pipeline_events_per_s: 12_000,
  passthrough_events_per_s: 30_000,
  pipeline_to_passthrough: 0.7,
  latency_p50_ms: 60,
  latency_p99_ms: 180,
  kms_calls_per_1k_events: 0.02,
  redis_roundtrips_per_1k_events: 0.8,
  peak_rss_mb: 200,
  events: 100_000,
  distinct_subjects: 6_000,
  exactly_once: true,
};

describe('targets', () => {
  it('cover the seven goals of the issue', () => {
    expect(TARGETS.map((t) => t.key)).toEqual([
      'transform_events_per_s',
      'pipeline_events_per_s',
      'pipeline_to_passthrough',
      'latency_p99_ms',
      'kms_calls_per_1k_events',
      'redis_roundtrips_per_1k_events',
      'peak_rss_mb',
    ]);
  });

  it('pass a ">=" goal at or above it and a "<=" goal at or below it', () => {
    const byKey = Object.fromEntries(judge(results).map((v) => [v.target.key, v]));
    expect(byKey.transform_events_per_s!.verdict).toBe('pass');
    expect(byKey.pipeline_events_per_s!.verdict).toBe('fail');
    expect(byKey.latency_p99_ms!.verdict).toBe('pass');
    expect(byKey.pipeline_events_per_s!.ratio).toBeCloseTo(0.8);
  });

  it('call an RSS pass inconclusive when fewer than 100k distinct subjects were held', () => {
    const rss = judge(results).find((v) => v.target.key === 'peak_rss_mb')!;
    expect(rss.verdict).toBe('inconclusive');
    expect(rss.note).toContain('6,000 distinct subjects');
    expect(judge({ ...results, distinct_subjects: 120_000 }).find((v) => v.target.key === 'peak_rss_mb')!.verdict).toBe('pass');
  });

  it('still fail an RSS over the goal whatever the subject count', () => {
    expect(judge({ ...results, peak_rss_mb: 300 }).find((v) => v.target.key === 'peak_rss_mb')!.verdict).toBe('fail');
  });

  it('fail a goal that was not measured (NaN)', () => {
    const v = judge({ ...results, latency_p99_ms: Number.NaN }).find((t) => t.target.key === 'latency_p99_ms')!;
    expect(v.verdict).toBe('fail');
    expect(v.note).toBe('not measured');
  });

  it('say how far a missed goal is', () => {
    expect(verdictLines(judge(results))).toContain('FAIL  exactly-once pipeline, events/s: 12,000 (target >= 15,000): off by 1.25x');
  });
});

describe('the table', () => {
  it('aligns columns: the first to the left, the others to the right', () => {
    expect(table(['a', 'bb'], [['xyz', '1'], ['q', '22']])).toBe('a    bb\n---  --\nxyz   1\nq    22\n');
  });

  it('has one row per contract key, with value, target, ratio and verdict', () => {
    const text = resultsTable(results);
    for (const key of CONTRACT_KEYS) expect(text).toContain(key);
    expect(text).toMatch(/pipeline_events_per_s\s+12,000\s+>= 15,000\s+0\.80x\s+FAIL/);
    expect(text).toMatch(/exactly_once\s+yes\s+yes\s+pass/);
  });

  it('formats numbers for reading: thousands separators, then fewer decimals as values grow', () => {
    expect(formatNumber(19_974.4)).toBe('19,974');
    expect(formatNumber(243.7)).toBe('244');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(0.0213)).toBe('0.021');
    expect(formatNumber(0)).toBe('0');
  });
});

describe('--compare', () => {
  it('gives after/before for numeric keys in both files, contract keys first, and says which way is better', () => {
    const before = { ...results, pipeline_events_per_s: 10_000, latency_p99_ms: 200, mode: 'quick' } as Record<string, unknown>;
    const after = { ...results, extra_ms: 5 } as Record<string, unknown>;
    const rows = compare(before, after);
    expect(rows[0]!.key).toBe('transform_events_per_s');
    const pipeline = rows.find((r) => r.key === 'pipeline_events_per_s')!;
    expect(pipeline.ratio).toBeCloseTo(1.2);
    expect(pipeline.better).toBe(true);
    const p99 = rows.find((r) => r.key === 'latency_p99_ms')!;
    expect(p99.ratio).toBeCloseTo(0.9);
    expect(p99.better).toBe(true);
    expect(rows.find((r) => r.key === 'events')!.better).toBeUndefined();
    expect(rows.some((r) => r.key === 'extra_ms' || r.key === 'mode' || r.key === 'exactly_once')).toBe(false);
    expect(compare({ seed: 1, wall_seconds: 50 }, { seed: 2, wall_seconds: 40 })).toEqual([]);
    expect(comparisonTable(rows)).toMatch(/pipeline_events_per_s\s+10,000\s+12,000\s+1\.200x\s+better/);
  });

  it('knows the direction of each kind of metric', () => {
    expect(direction('pipeline_events_per_s')).toBe('higher');
    expect(direction('pipeline_to_passthrough')).toBe('higher');
    expect(direction('latency_p99_ms')).toBe('lower');
    expect(direction('peak_rss_mb')).toBe('lower');
    expect(direction('redis_roundtrips_per_1k_events')).toBe('lower');
    expect(direction('distinct_subjects')).toBeUndefined();
  });

  it('treats a zero before as no change when after is zero too', () => {
    const rows = compare({ kms_calls_per_1k_events: 0 }, { kms_calls_per_1k_events: 0 });
    expect(rows[0]!.ratio).toBe(1);
    expect(rows[0]!.better).toBeUndefined();
  });
});
