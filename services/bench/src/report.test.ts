import { CONTRACT_KEYS, TARGETS, compare, comparisonTable, direction, formatNumber, judge, machineLine, peerTable, resultsTable, table, verdictLines, type Headline } from './report';

const results: Headline = {
  transform_events_per_s: 80_000,
  pipeline_events_per_s: 12_000,
  passthrough_events_per_s: 30_000,
  pipeline_to_passthrough: 0.86,
  pipeline_to_passthrough_min: 0.78,
  latency_p50_ms: 60,
  latency_p99_ms: 90,
  kms_calls_per_1k_events: 0.0005,
  redis_roundtrips_per_1k_events: 0.8,
  peak_rss_mb: 180,
  events: 100_000,
  distinct_subjects: 6_000,
  exactly_once: true,
};

describe('targets', () => {
  it('are the goals of issue 14', () => {
    expect(TARGETS.map((t) => [t.key, t.op, t.value])).toEqual([
      ['transform_events_per_s', '>=', 100_000],
      ['pipeline_to_passthrough', '>=', 0.85],
      ['pipeline_to_passthrough_min', '>=', 0.8],
      ['latency_p99_ms', '<=', 100],
      ['latency_at_least_once_p99_ms', '<=', 25],
      ['kms_calls_per_1k_events', '<=', 0.001],
      ['redis_roundtrips_per_1k_events', '<=', 20],
      ['peak_rss_mb', '<=', 192],
    ]);
  });

  it('pass a ">=" goal at or above it and a "<=" goal at or below it', () => {
    const byKey = Object.fromEntries(judge(results).map((v) => [v.target.key, v]));
    expect(byKey.transform_events_per_s!.verdict).toBe('fail');
    expect(byKey.transform_events_per_s!.ratio).toBeCloseTo(0.8);
    expect(byKey.pipeline_to_passthrough!.verdict).toBe('pass');
    expect(byKey.latency_p99_ms!.verdict).toBe('pass');
    expect(byKey.kms_calls_per_1k_events!.verdict).toBe('pass');
    expect(judge({ ...results, latency_p99_ms: 100 }).find((v) => v.target.key === 'latency_p99_ms')!.verdict).toBe('pass');
    expect(judge({ ...results, kms_calls_per_1k_events: 0.002 }).find((v) => v.target.key === 'kms_calls_per_1k_events')!.verdict).toBe('fail');
  });

  it('judge every repetition on its own line: a good median does not hide a repetition under 0.8', () => {
    const verdicts = judge(results);
    expect(verdicts.find((v) => v.target.key === 'pipeline_to_passthrough')!.verdict).toBe('pass');
    expect(verdicts.find((v) => v.target.key === 'pipeline_to_passthrough_min')!.verdict).toBe('fail');
    expect(verdictLines(verdicts)).toContain('FAIL  pipeline / passthrough, every repetition (the lowest): 0.780 (target >= 0.800)');
  });

  it('call an RSS pass inconclusive when fewer than 100k distinct subjects were held', () => {
    const rss = judge(results).find((v) => v.target.key === 'peak_rss_mb')!;
    expect(rss.verdict).toBe('inconclusive');
    expect(rss.note).toContain('6,000 distinct subjects');
    expect(judge({ ...results, distinct_subjects: 120_000 }).find((v) => v.target.key === 'peak_rss_mb')!.verdict).toBe('pass');
  });

  it('still fail an RSS over the goal whatever the subject count', () => {
    expect(judge({ ...results, peak_rss_mb: 193 }).find((v) => v.target.key === 'peak_rss_mb')!.verdict).toBe('fail');
  });

  it('fail a goal that was not measured (NaN, or missing from the results)', () => {
    const v = judge({ ...results, latency_p99_ms: Number.NaN }).find((t) => t.target.key === 'latency_p99_ms')!;
    expect(v.verdict).toBe('fail');
    expect(v.note).toBe('not measured');
    const { pipeline_to_passthrough_min: _dropped, ...without } = results;
    expect(judge(without as Headline).find((t) => t.target.key === 'pipeline_to_passthrough_min')!.note).toBe('not measured');
  });

  it('say how far a missed goal is', () => {
    expect(verdictLines(judge(results))).toContain('FAIL  transform alone, events/s on one core: 80,000 (target >= 100,000): off by 1.25x');
  });
});

describe('the table', () => {
  it('aligns columns: the first to the left, the others to the right', () => {
    expect(table(['a', 'bb'], [['xyz', '1'], ['q', '22']])).toBe('a    bb\n---  --\nxyz   1\nq    22\n');
  });

  it('has one row per contract key, with value, target, ratio and verdict, and the lowest repetition after its median', () => {
    const text = resultsTable(results);
    for (const key of CONTRACT_KEYS) expect(text).toContain(key);
    expect(text).toMatch(/transform_events_per_s\s+80,000\s+>= 100,000\s+0\.80x\s+FAIL/);
    expect(text).toMatch(/exactly_once\s+yes\s+yes\s+pass/);
    const lines = text.split('\n');
    const at = (key: string) => lines.findIndex((l) => l.startsWith(`${key} `));
    expect(at('pipeline_to_passthrough_min')).toBe(at('pipeline_to_passthrough') + 1);
  });

  it('shows min and max over the repetitions beside each median that has them', () => {
    const text = resultsTable(results, judge(results), {
      pipeline_events_per_s: { min: 11_000, median: 12_000, max: 13_500, n: 3 },
      latency_p99_ms: { min: 90, median: 90, max: 90, n: 1 },
    });
    expect(text.split('\n')[0]).toMatch(/^metric\s+value\s+min\s+max\s+target/);
    expect(text).toMatch(/pipeline_events_per_s\s+12,000\s+11,000\s+13,500\n/);
    // One run has no spread to show.
    expect(text).toMatch(/latency_p99_ms\s+90\.0\s+<= 100/);
  });

  it('puts the processes side by side: events/s and CPU per 1,000 events, median, min and max; a skipped one says why', () => {
    const text = peerTable([
      {
        name: 'pipeline',
        eventsPerS: { min: 18_000, median: 19_000, max: 20_000, n: 3 },
        cpuMsPer1k: { min: 55, median: 60, max: 71, n: 3 },
        brokerCpuMsPer1k: { min: 20, median: 22.5, max: 30, n: 3 },
      },
      { name: 'Java peer', eventsPerS: undefined, cpuMsPer1k: undefined, note: 'skipped: no mvn on PATH' },
    ]);
    expect(text).toMatch(/pipeline\s+19,000\s+18,000\s+20,000\s+60\.0\s+55\.0\s+71\.0\s+22\.5\s/);
    // A process not measured shows a dash in every column, the broker's too, and says why.
    expect(text).toMatch(/Java peer\s+-\s+-\s+-\s+skipped: no mvn on PATH/);
  });

  it('names the CPU as /proc/cpuinfo does and the load average the run started under', () => {
    expect(machineLine({ cpu: 'AMD EPYC 7B13', cpu_signature: 'family 25 model 1 stepping 0', cores: 2, load_average_at_start: [1.5, 0.25, 0] })).toBe(
      'AMD EPYC 7B13 (family 25 model 1 stepping 0), 2 cores; load average at start 1.50 0.25 0.00 (1, 5, 15 min)',
    );
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
    const before = { ...results, pipeline_events_per_s: 10_000, latency_p99_ms: 100, mode: 'quick' } as Record<string, unknown>;
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
    expect(direction('pipeline_to_java_peer')).toBe('higher');
    expect(direction('java_peer_cpu_ms_per_1k_events')).toBe('lower');
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
