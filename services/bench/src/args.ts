import path from 'node:path';
import { KAFKA_CLIENTS, type KafkaClientName } from '@ampseal/kafka';

/**
 * Command line of `npm run bench [-- options]`. Pure: argv in, a frozen plan out, or a usage error.
 */
export interface BenchArgs {
  /** The short run: fewer events, 2 repetitions, 10 s of latency; under two minutes on the dev box. */
  readonly quick: boolean;
  /** An earlier results.json to print ratios against. */
  readonly compare: string | undefined;
  /** Events to generate; undefined: the mode's default (full: until ≥ 100k distinct subjects). */
  readonly events: number | undefined;
  readonly seed: number;
  /** Measured repetitions of each phase (after the warm-up). */
  readonly repetitions: number;
  /** Write V8 CPU profiles of the pipeline child and of the transform to bench/profiles/. */
  readonly profile: boolean;
  /** Where the results go (default: resultsFile below). */
  readonly out: string | undefined;
  /** NODE_OPTIONS of the pipeline and passthrough children ('' for Node's defaults on this machine). */
  readonly nodeOptions: string;
  /** Pipeline processes per throughput repetition, all in one consumer group (the capacity model's 1 vs 2 instances). */
  readonly instances: number;
  /** Only the key-cache memory measurement (memory.ts), no stack needed. */
  readonly memory: boolean;
  /** Distinct subjects the memory measurement caches. */
  readonly subjects: number;
  /**
   * AMPSEAL_HANDLER_THREADS of an extra pipeline run in each repetition, beside the one with the service's default
   * (pairs against the same passthrough: the threads' ratio in the same run); undefined: no extra run.
   */
  readonly threads: number | undefined;
  /**
   * The Kafka clients the passthrough and the pipeline run on (AMPSEAL_KAFKA_CLIENT of the children), each in every
   * repetition, side by side (clients.ts). The first is the run's headline client: the top-level figures are its.
   */
  readonly clients: readonly KafkaClientName[];
}

/** Raw-topic partitions of a run with this many pipeline instances: 3 per instance, so each gets as many as one gets alone. */
export function rawPartitionsFor(instances: number): number {
  return 3 * instances;
}

/**
 * The heap Node 20 gives itself inside the chart's 512Mi memory limit (charts/ampseal/values.yaml): it sizes
 * V8 from the cgroup limit, which yields a 256 MB old generation and 1 MB semi-spaces (checked in a 512Mi
 * memory cgroup: heap_size_limit 259 MB, new space 2 MB). On an unconstrained dev box it would pick a 4 GB
 * heap and the highest growing factor instead, and RSS would measure how lazily V8 collects, not what the
 * pipeline needs where it runs.
 */
export const POD_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=1';

export const USAGE = `usage: npm run bench -- [--quick] [--compare FILE] [--events N] [--seed S] [--repetitions R] [--profile] [--out FILE] [--node-options FLAGS] [--instances N] [--threads N] [--client C[,C]] [--memory [--subjects N]]
  --quick          short run (under two minutes): fewer events, 2 repetitions, 10 s of latency
  --compare FILE   print the ratios of this run against an earlier results.json
  --events N       events to generate (default: full run until 100,000 distinct subjects, quick 100,000)
  --seed S         traffic seed (default 42)
  --repetitions R  measured repetitions per phase after the warm-up (default 3, quick 2)
  --profile        V8 CPU profiles of the pipeline and the transform into bench/profiles/
  --out FILE       results file (default bench/results.json; with --quick bench/results-quick.json)
  --node-options FLAGS
                   NODE_OPTIONS of the pipeline and passthrough processes (default: the heap Node
                   sizes for itself under the chart's 512Mi limit, ${POD_NODE_OPTIONS};
                   '' for Node's defaults on this machine)
  --instances N    pipeline processes per throughput repetition, one consumer group (default 1); each
                   repetition then also runs 1 instance on the same topics, which get 3 partitions per instance
  --threads N      each repetition also runs the pipeline with AMPSEAL_HANDLER_THREADS=N (after the one
                   with the default), verified exactly once, its ratio to the same passthrough reported
  --client C[,C]   Kafka clients of the passthrough and the pipeline, each run in every repetition: kafkajs,
                   platformatic or both (default kafkajs,platformatic); the first is the headline one
                   (the Java peer is the same either way)
  --memory         only measure the key ring's cache: bytes per cached subject (no stack needed)
  --subjects N     distinct subjects of --memory (default 100,000)
`;

/**
 * Where a run writes its results: `--out` when given; else the full run's `bench/results.json` (committed, the
 * figures the README and the issues quote) or, for --quick, `bench/results-quick.json` (gitignored), so a quick
 * look never overwrites the full run.
 */
export function resultsFile(args: Pick<BenchArgs, 'quick' | 'out'>, root: string, cwd: string): string {
  if (args.out !== undefined) return path.resolve(cwd, args.out);
  return path.join(root, 'bench', args.quick ? 'results-quick.json' : 'results.json');
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw?.replace(/_/g, ''));
  if (raw === undefined || raw === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let profile = false;
  let compare: string | undefined;
  let out: string | undefined;
  let events: number | undefined;
  let seed = 42;
  let repetitions: number | undefined;
  let nodeOptions = POD_NODE_OPTIONS;
  let instances = 1;
  let memory = false;
  let subjects = 100_000;
  let threads: number | undefined;
  let clients: readonly KafkaClientName[] = KAFKA_CLIENTS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--profile':
        profile = true;
        break;
      case '--memory':
        memory = true;
        break;
      case '--instances':
        instances = integer('--instances', value(), 1, 8);
        break;
      case '--threads':
        threads = integer('--threads', value(), 0, 16);
        break;
      case '--client': {
        const names = (value() ?? '').split(',').map((n) => n.trim());
        if (names.some((n) => !(KAFKA_CLIENTS as readonly string[]).includes(n))) throw new UsageError(`--client needs ${KAFKA_CLIENTS.join(', ')} or a comma list of them`);
        clients = [...new Set(names as KafkaClientName[])];
        break;
      }
      case '--subjects':
        subjects = integer('--subjects', value(), 1_000, 5_000_000);
        break;
      case '--compare': {
        compare = value();
        if (!compare) throw new UsageError('--compare needs a file');
        break;
      }
      case '--out': {
        out = value();
        if (!out) throw new UsageError('--out needs a file');
        break;
      }
      case '--node-options': {
        const v = value();
        if (v === undefined) throw new UsageError('--node-options needs a value (quote it; \'\' for none)');
        nodeOptions = v.trim();
        break;
      }
      case '--events':
        events = integer('--events', value(), 1_000, 20_000_000);
        break;
      case '--seed':
        seed = integer('--seed', value(), 0, Number.MAX_SAFE_INTEGER);
        break;
      case '--repetitions':
        repetitions = integer('--repetitions', value(), 1, 20);
        break;
      default:
        throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return Object.freeze({ quick, compare, events, seed, repetitions: repetitions ?? (quick ? 2 : 3), profile, out, nodeOptions, instances, memory, subjects, threads, clients });
}
