import { writeFileSync } from 'node:fs';
import { runCommand } from '../pipeline-run';
import { SOAK_KEY_CACHE_SIZE, type SoakReport, runSoak } from './soak';

/**
 * `npm run soak -- --minutes N --rate R [--sample-every S] [--seed S] [--out FILE]` (issue 11). Prints the
 * curve and the verdict; exit 1 when the pipeline grows, falls behind or dies, 2 on a usage error.
 * `--seconds N` instead of --minutes is for the CI smoke (a verdict on growth then says "inconclusive").
 */
export const SOAK_USAGE = `usage: npm run soak -- --minutes N --rate R [--sample-every S] [--seed S] [--out FILE]
  --minutes N       run time (default 10); --seconds N for short runs
  --rate R          events per second offered to the pipeline (default 2,000)
  --sample-every S  seconds between samples of RSS, heap and lag (default 5)
  --seed S          traffic seed (default 42)
  --key-cache-size N  the pipeline's AMPSEAL_KEY_CACHE_SIZE (default ${SOAK_KEY_CACHE_SIZE}: full within the
                    warm-up, so its filling is not mistaken for growth; 200000 is the service default)
  --out FILE        also write the report (samples, curve, verdict) as JSON
`;

export interface SoakArgs {
  readonly seconds: number;
  readonly rate: number;
  readonly sampleEveryS: number;
  readonly seed: number;
  readonly keyCacheSize: number;
  readonly out: string | undefined;
}

function number(flag: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw?.replace(/_/g, ''));
  if (raw === undefined || raw === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} needs a number from ${min} to ${max}`);
  return n;
}

export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  let seconds = 600;
  let rate = 2_000;
  let sampleEveryS = 5;
  let seed = 42;
  let keyCacheSize = SOAK_KEY_CACHE_SIZE;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--minutes') seconds = number(arg, argv[++i], 0.05, 24 * 60) * 60;
    else if (arg === '--seconds') seconds = number(arg, argv[++i], 3, 24 * 3_600);
    else if (arg === '--rate') rate = Math.round(number(arg, argv[++i], 1, 100_000));
    else if (arg === '--sample-every') sampleEveryS = number(arg, argv[++i], 0.5, 600);
    else if (arg === '--key-cache-size') keyCacheSize = Math.round(number(arg, argv[++i], 1, 50_000_000));
    else if (arg === '--seed') seed = Math.round(number(arg, argv[++i], 0, Number.MAX_SAFE_INTEGER));
    else if (arg === '--out') {
      out = argv[++i];
      if (!out) throw new Error('--out needs a file');
    } else throw new Error(`unknown argument '${arg}'`);
  }
  return Object.freeze({ seconds, rate, sampleEveryS, seed, keyCacheSize, out });
}

/** Exit status of a soak: 0 stable or too short to tell, 1 growth, falling behind, or a dead pipeline. */
export function soakFailed(report: Pick<SoakReport, 'died' | 'judgement'>): boolean {
  return report.died !== undefined || report.judgement.verdict === 'growing' || report.judgement.verdict === 'falling-behind';
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function print(report: SoakReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  const j = report.judgement;
  w(
    `\nsoak: ${fmt(report.seconds / 60, 1)} min at ${fmt(report.rate)} events/s offered (${fmt(report.achievedRate)} produced/s), ` +
      `${fmt(report.produced)} produced, ${fmt(report.committed)} committed, ${report.samples.length} samples`,
  );
  w('                       start       end       min       max');
  const row = (name: string, c: { start: number; end: number; min: number; max: number }, d: number) =>
    w(`  ${name.padEnd(18)}${[c.start, c.end, c.min, c.max].map((v) => fmt(v, d).padStart(10)).join('')}`);
  row('RSS (MB)', j.curves.rssMb, 1);
  row('heap used (MB)', j.curves.heapUsedMb, 1);
  row('lag (records)', j.curves.lag, 0);
  w(`  peak RSS (VmHWM)  ${fmt(report.pipelinePeakRssMb, 1)} MB`);
  w(
    `  second half (from t=${fmt(j.secondHalf.from)} s, ${j.secondHalf.samples} samples): RSS ${fmt(j.rssMbPerMin, 2)} ± ${fmt(j.rssMbPerMinStdErr, 2)} MB/min, ` +
      `heap ${fmt(j.heapMbPerMin, 2)} MB/min, lag ${fmt(j.lagPerS, 1)} records/s`,
  );
  if (report.died) w(`  pipeline died: ${report.died.split('\n')[0]}`);
  w(`verdict: ${j.verdict} (${j.reasons.join('; ')})`);
}

async function main(args: SoakArgs): Promise<number> {
  const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);
  log(`${fmt(args.seconds)} s at ${fmt(args.rate)} events/s, a sample every ${args.sampleEveryS} s, key cache ${fmt(args.keyCacheSize)} subjects`);
  // A SIGTERM (an integration test's clean-up, Ctrl-C) ends the run through the normal path, which stops the
  // pipeline child and deletes the run's topics rather than leaving them behind.
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const report = await runSoak({ ...args, log, stopRequested: () => stop });
  print(report);
  if (args.out) writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  return soakFailed(report) ? 1 : 0;
}

if (require.main === module) runCommand('soak', SOAK_USAGE, parseSoakArgs, main);
