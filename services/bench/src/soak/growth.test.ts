import { judge, leastSquares, type Sample } from './growth';

const run = (seconds: number, every: number, rss: (t: number) => number, lag: (t: number) => number = () => 0): Sample[] => {
  const out: Sample[] = [];
  for (let t = 0; t <= seconds; t += every) out.push({ t, rssMb: rss(t), heapUsedMb: rss(t) / 2, lag: lag(t), produced: t * 100 });
  return out;
};

describe('the soak verdict', () => {
  it('fits a line exactly and gives its slope per second', () => {
    const fit = leastSquares([
      [0, 1],
      [1, 3],
      [2, 5],
    ]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.slopeStdErr).toBeCloseTo(0);
  });

  it('calls a warm-up followed by a level sawtooth stable', () => {
    const samples = run(600, 5, (t) => (t < 200 ? 100 + t / 2 : 200) + (t % 30 < 15 ? 8 : -8));
    expect(judge(samples, 2_000).verdict).toBe('stable');
  });

  it('calls 3 MB/min of steady growth in the second half growing', () => {
    const samples = run(600, 5, (t) => 150 + (3 * t) / 60 + (t % 30 < 15 ? 4 : -4));
    const j = judge(samples, 2_000);
    expect(j.verdict).toBe('growing');
    expect(j.rssMbPerMin).toBeGreaterThan(2.5);
  });

  it('calls a lag that grows without bound falling behind', () => {
    const samples = run(600, 5, () => 150, (t) => t * 300);
    expect(judge(samples, 2_000).verdict).toBe('falling-behind');
  });

  it('gives no verdict on growth from a run too short to fit a slope', () => {
    const samples = run(20, 1, (t) => 100 + t);
    const j = judge(samples, 100);
    expect(j.verdict).toBe('inconclusive');
    expect(j.curves.rssMb).toEqual({ start: 100, end: 120, min: 100, max: 120 });
  });
});
