import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, spawnProcess } from '../harness/processes';
import { useResources } from '../harness/resources';

/**
 * The CI smoke of `npm run soak` (issue 11): the command itself, for a few seconds at a low rate, against the
 * local stack. It must start the pipeline, feed it, sample it and give a verdict; how fast anything was is
 * not asserted (the real soak is a command: README, "Soak and fuzz").
 */
const resources = useResources({ budgetMs: 150_000 });

const SOAK = join(__dirname, '..', '..', 'services', 'bench', 'dist', 'soak', 'main.js');

interface Report {
  readonly produced: number;
  readonly committed: number;
  readonly died?: string;
  readonly samples: ReadonlyArray<{ t: number; rssMb: number; heapUsedMb: number; lag: number }>;
  readonly judgement: { verdict: string; reasons: string[]; curves: { rssMb: { start: number; end: number } } };
}

describe('npm run soak (smoke)', () => {
  it('runs the pipeline against generated traffic, samples RSS, heap and lag, and gives a verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ampseal-soak-'));
    resources.add('soak output folder', dir, async (d) => rmSync(d, { recursive: true, force: true }));
    const out = join(dir, 'soak.json');
    const stderr: string[] = [];
    const child = spawnProcess('npm run soak', process.execPath, [SOAK, '--seconds', '10', '--rate', '100', '--sample-every', '1', '--out', out], {
      env: { ...process.env, AMPSEAL_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exit = await exitOf(child);

    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.died).toBeUndefined();
    expect(report.produced).toBeGreaterThan(0);
    expect(report.committed).toBeGreaterThan(0);
    expect(report.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of report.samples) {
      expect(s.rssMb).toBeGreaterThan(0);
      expect(s.heapUsedMb).toBeGreaterThan(0);
      expect(s.lag).toBeGreaterThanOrEqual(0);
    }
    expect(['stable', 'growing', 'falling-behind', 'inconclusive']).toContain(report.judgement.verdict);
    expect(report.judgement.reasons.length).toBeGreaterThan(0);
    // The exit status follows the verdict: non-zero only for growth or a pipeline that fell behind.
    expect({ code: exit.code, verdict: report.judgement.verdict }).toEqual({
      code: ['growing', 'falling-behind'].includes(report.judgement.verdict) ? 1 : 0,
      verdict: report.judgement.verdict,
    });
  });
});
