#!/usr/bin/env node
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createTraffic, TRAFFIC_DEFAULTS, type TrafficOptions } from './traffic';

/**
 * `node services/traffic/dist/cli.js --events N --seed S [--malformed R]`: N envelopes as NDJSON on stdout (the
 * record values only), for file-mode demos (`| npx ampseal pseudonymize …`). Writes in ~64 KiB chunks and waits
 * for 'drain' when the pipe is full, so a slow consumer holds the generator back instead of growing memory.
 */

const USAGE = `usage: ampseal-traffic --events N [--seed S] [--malformed RATE] [--stations N] [--cards N]
                       [--tenant T] [--start ISO-8601]
  --events     number of records to write (required)
  --seed       PRNG seed, a safe integer (default 1); same seed, same records
  --malformed  share of malformed records, 0..1 (default ${TRAFFIC_DEFAULTS.malformedRate})
  --stations   stations, 1..9999 (default ${TRAFFIC_DEFAULTS.stations})
  --cards      cards (default ${TRAFFIC_DEFAULTS.cards})
  --tenant     tenant of every envelope (default ${TRAFFIC_DEFAULTS.tenant})
  --start      simulation start (default ${new Date(TRAFFIC_DEFAULTS.startTime).toISOString()})
`;

const CHUNK_BYTES = 64 * 1024;

export class UsageError extends Error {}

export interface CliArguments {
  events: number;
  options: TrafficOptions;
}

const OPTIONS = {
  events: { type: 'string' },
  seed: { type: 'string' },
  malformed: { type: 'string' },
  stations: { type: 'string' },
  cards: { type: 'string' },
  tenant: { type: 'string' },
  start: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCliArguments(argv: readonly string[]): CliArguments | 'help' {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  try {
    // Negative numbers must be written --seed=-5 (parseArgs reads "-5" as an option otherwise).
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) return 'help';
  if (values.events === undefined) throw new UsageError('--events is required');
  const events = integer(values.events, '--events', 0);
  const options: TrafficOptions = { seed: values.seed === undefined ? 1 : integer(values.seed, '--seed', Number.MIN_SAFE_INTEGER) };
  if (values.malformed !== undefined) {
    const rate = Number(values.malformed);
    if (values.malformed.trim() === '' || !(rate >= 0 && rate <= 1)) throw new UsageError('--malformed must be a number from 0 to 1');
    options.malformedRate = rate;
  }
  if (values.stations !== undefined) options.stations = integer(values.stations, '--stations', 1);
  if (values.cards !== undefined) options.cards = integer(values.cards, '--cards', 1);
  if (values.tenant !== undefined) options.tenant = values.tenant;
  if (values.start !== undefined) {
    const start = Date.parse(values.start);
    if (Number.isNaN(start)) throw new UsageError('--start must be an ISO-8601 date-time');
    options.startTime = start;
  }
  return { events, options };
}

function integer(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} must be an integer${min === 0 ? ' ≥ 0' : min === 1 ? ' ≥ 1' : ''}`);
  }
  return value;
}

/**
 * Writes `events` record values, one per line, to `out`. Resolves when all were written, or early and quietly
 * when the reader went away (EPIPE: `| head`).
 */
export async function writeTraffic(events: number, options: TrafficOptions, out: Writable): Promise<void> {
  const traffic = createTraffic(options);
  let closed = false;
  let failure: Error | undefined;
  const onError = (err: NodeJS.ErrnoException): void => {
    closed = true;
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') failure = err;
  };
  out.on('error', onError);
  try {
    let chunk = '';
    for (let i = 0; i < events && !closed; i++) {
      chunk += traffic.next().value + '\n';
      if (chunk.length >= CHUNK_BYTES) {
        const ok = out.write(chunk);
        chunk = '';
        if (!ok && !closed) await writable(out);
      }
    }
    if (chunk.length > 0 && !closed) out.write(chunk);
  } finally {
    out.off('error', onError);
  }
  if (failure !== undefined) throw failure;
}

/** Resolves on 'drain', or when the stream closes or fails (the 'error' listener above records why). */
function writable(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: CliArguments | 'help';
  try {
    parsed = parseCliArguments(argv);
  } catch (err) {
    process.stderr.write(`ampseal-traffic: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    await writeTraffic(parsed.events, parsed.options, process.stdout);
  } catch (err) {
    // Option range errors from createTraffic name the option; nothing else here quotes a record.
    process.stderr.write(`ampseal-traffic: ${(err as Error).message}\n`);
    return 2;
  }
  return 0;
}

if (require.main === module) {
  // Stdout errors after a consumer left (EPIPE) must not crash the process with a stack trace.
  process.stdout.on('error', () => undefined);
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
