import { type FuzzReport, caseAt, runFuzz } from './fuzz';
import { runCommand } from '../pipeline-run';
import { PipelineCorpus, runPipelineFuzz } from './pipeline';

/**
 * `npm run fuzz -- --events N [--seed S] [--pipeline [--with-crashes]] [--dump INDEX]` (issue 11). Exit 1 on any crash or leak
 * (or, with --pipeline, a pipeline that died, stalled or disagreed with the transform), 2 on a usage error.
 */
export const FUZZ_USAGE = `usage: npm run fuzz -- --events N [--seed S] [--pipeline [--with-crashes]] [--dump INDEX]
  --events N     records to generate (malformed and mutated; default 100,000)
  --seed S       corpus seed (default 1); a crash prints its seed and index
  --pipeline     also push the same records through the running pipeline (child process, local stack);
                 records that crashed the transform are left out (each would stop its partition)
  --with-crashes with --pipeline: send those too
  --dump INDEX   write record INDEX of the seed's corpus to stdout (to reproduce a crash) and exit
`;

export interface FuzzArgs {
  readonly events: number;
  readonly seed: number;
  readonly pipeline: boolean;
  readonly withCrashes: boolean;
  readonly dump: number | undefined;
}

function whole(flag: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw?.replace(/_/g, ''));
  if (raw === undefined || raw === '' || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag} needs a whole number from ${min} to ${max}`);
  return n;
}

export function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  let events = 100_000;
  let seed = 1;
  let pipeline = false;
  let withCrashes = false;
  let dump: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--pipeline') pipeline = true;
    else if (arg === '--with-crashes') withCrashes = true;
    else if (arg === '--events') events = whole(arg, argv[++i], 1, 100_000_000);
    else if (arg === '--seed') seed = whole(arg, argv[++i], 0, Number.MAX_SAFE_INTEGER);
    else if (arg === '--dump') dump = whole(arg, argv[++i], 0, Number.MAX_SAFE_INTEGER);
    else throw new Error(`unknown argument '${arg}'`);
  }
  return Object.freeze({ events, seed, pipeline, withCrashes, dump });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (line: string) => process.stderr.write(`[fuzz] ${line}\n`);

export function printReport(title: string, report: Pick<FuzzReport, 'seed' | 'events' | 'seconds' | 'eventsPerS' | 'outcomes' | 'crashCount' | 'leakCount' | 'crashes' | 'leaks'> & Partial<FuzzReport>): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`\n${title}: ${fmt(report.events)} records, seed ${report.seed}, ${report.seconds.toFixed(1)} s, ${fmt(report.eventsPerS)} records/s`);
  if (report.origins) w(`  origins     ${Object.entries(report.origins).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  if (report.mutations) w(`  mutations   ${Object.entries(report.mutations).sort().map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  w('  outcomes');
  for (const [key, n] of Object.entries(report.outcomes).sort((a, b) => b[1] - a[1])) w(`    ${key.padEnd(36)} ${fmt(n).padStart(10)}`);
  if (report.analyticsChecked !== undefined) w(`  analytics records checked for identifiers: ${fmt(report.analyticsChecked)}`);
  if (report.unclassified !== undefined) w(`  unclassified: ${report.unclassified}, generator-malformed with another reason: ${report.wrongReason}`);
  w(`  crashes: ${report.crashCount}, leaks: ${report.leakCount}`);
  for (const [kind, n] of Object.entries(report.crashKinds ?? {})) w(`    ${fmt(n)} × ${kind}`);
  for (const c of report.crashes) {
    if (c.index < 0) w(`    PIPELINE STOPPED: ${c.error}`);
    else w(`    CRASH seed ${c.seed} index ${c.index} (${c.mutations.join('+') || 'unmutated'}): ${c.error}  → npm run fuzz -- --seed ${c.seed} --dump ${c.index}`);
  }
  for (const l of report.leaks) w(`    LEAK  seed ${l.seed} index ${l.index} (${l.mutations.join('+') || 'unmutated'}): ${l.identifiers} identifier(s) in the analytics record  → npm run fuzz -- --seed ${l.seed} --dump ${l.index}`);
}

async function main(args: FuzzArgs): Promise<number> {
  if (args.dump !== undefined) {
    const c = caseAt({ seed: args.seed }, args.dump);
    process.stderr.write(`[fuzz] seed ${args.seed} index ${c.index}: ${c.origin}, ${c.topic}, mutations ${c.mutations.join('+') || 'none'}\n`);
    process.stdout.write(c.value);
    process.stdout.write('\n');
    return 0;
  }
  let failed = false;
  let next = 100_000;
  const corpus = args.pipeline ? new PipelineCorpus(args.withCrashes) : undefined;
  log(`in process: ${fmt(args.events)} records, seed ${args.seed}`);
  const report = await runFuzz({
    seed: args.seed,
    events: args.events,
    ...(corpus ? { onBatch: corpus.onBatch } : {}),
    progress: (done) => {
      if (done >= next) {
        log(`  ${fmt(done)}`);
        next += 100_000;
      }
    },
  });
  printReport('fuzz through the transform (in process, memory key ring)', report);
  failed ||= report.crashCount > 0 || report.leakCount > 0 || report.unclassified > 0;
  if (corpus) {
    const piped = await runPipelineFuzz({ seed: args.seed, corpus, log });
    printReport('fuzz through the running pipeline', piped);
    if (piped.crashedLeftOut > 0) process.stdout.write(`  ${piped.crashedLeftOut} records that crashed the transform were not sent (--with-crashes sends them)\n`);
    process.stdout.write(`  pipeline: ${piped.verdict}\n`);
    failed ||= !piped.ok;
  }
  process.stdout.write(`\n${failed ? 'FAILED' : 'ok'}\n`);
  return failed ? 1 : 0;
}

if (require.main === module) runCommand('fuzz', FUZZ_USAGE, parseFuzzArgs, main);
