import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY_FILE, type InputRecord, type Transform } from '@ampseal/core';
import type { SubsetRecord } from './dataset';
import { captureStderr, exited, failOnExit } from './processes';

/**
 * The transform alone (design §10: events/s on one core): Transform.run in batches of 500 with an in-memory key
 * ring that one unmeasured pass warmed (every subject cached: what a long-running instance sees). Nothing else runs
 * meanwhile, and the transform is single-threaded, so wall time here is one core's time.
 *
 * It runs in a child process of its own over a window of the dataset (the first TRANSFORM_WINDOW events), not
 * in the bench process: a full run's process holds the whole dataset (gigabytes), and every major GC marks it,
 * which measured the harness, not the transform (3.3M events in-process: 55k events/s; the same code over a
 * window of them in a small heap: twice that). A pod holds a chunk of records, never a dataset.
 */
export const TRANSFORM_BATCH = 500;
export const TRANSFORM_WINDOW = 200_000;
/** Each measured repetition passes over the window until it has done at least this many events. */
export const TRANSFORM_EVENTS_PER_REPETITION = 600_000;

export interface TransformRun {
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  /** Main-thread plus GC helper CPU over wall time (above 1 means GC ran in parallel). */
  readonly cpu_per_wall: number;
}

/** The linkability the epochs comparison gives the bench traffic's tenant (issue 16's example: 90-day epochs kept two years). */
export const BENCH_LINKABILITY = '{ window: P90D, retention: P2Y }';

/** The default policy with BENCH_LINKABILITY for `tenant`, written to a temporary file (its path). */
export function policyWithEpochs(tenant = 'acme-cpo'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ampseal-epochs-bench-')), 'policy.yaml');
  const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace(/^tenants: \{\}$/m, `tenants:\n  ${tenant}:\n    linkability: ${BENCH_LINKABILITY}`);
  if (!text.includes('linkability')) throw new Error(`${DEFAULT_POLICY_FILE} has no empty tenants map to give a linkability window`);
  writeFileSync(file, text);
  return file;
}

/** One round of the epochs comparison: the same passes with and without a linkability window, back to back. */
export interface EpochsRound {
  readonly plain_events_per_s: number;
  readonly epochs_events_per_s: number;
  readonly ratio: number;
}

export interface TransformChildConfig {
  readonly subsetFile: string;
  /** Raw topic names by the subset's topic index (0: OCPP, 1: OCPI), for the event ids. */
  readonly topics: readonly [string, string];
  readonly repetitions: number;
  readonly passes: number;
  /** Where to write `transform.cpuprofile` after the measured repetitions; none: no profile. */
  readonly profileDir?: string;
  /** A policy with a linkability window: then `repetitions` interleaved rounds compare the transform with epochs to it without. */
  readonly epochsPolicyFile?: string;
}

export type TransformChildMessage =
  | { readonly type: 'run'; readonly repetition: number; readonly run: TransformRun }
  | { readonly type: 'epochs'; readonly round: number; readonly result: EpochsRound }
  | { readonly type: 'done'; readonly profile?: string }
  | { readonly type: 'failed'; readonly error: string };

/** Passes over the window's batches; `run(passes)` measures them as one repetition. */
export class TransformBench {
  private readonly batches: InputRecord[][] = [];

  constructor(private readonly transform: Transform, records: readonly SubsetRecord[], topics: readonly [string, string]) {
    for (let from = 0; from < records.length; from += TRANSFORM_BATCH) {
      const batch: InputRecord[] = [];
      for (let i = from; i < Math.min(records.length, from + TRANSFORM_BATCH); i++) {
        const r = records[i]!;
        batch.push({ value: r.value, eventId: `${topics[r.topic]}:${r.partition}:${i}` });
      }
      this.batches.push(batch);
    }
  }

  async run(passes = 1): Promise<TransformRun> {
    let count = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let p = 0; p < passes; p++) {
      for (const batch of this.batches) {
        await this.transform.run(batch);
        count += batch.length;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { events: count, seconds, events_per_s: count / seconds, cpu_per_wall: (cpu.user + cpu.system) / 1e6 / seconds };
  }

  /** One extra, unmeasured pass under the V8 sampling profiler; writes `<dir>/transform.cpuprofile`. */
  async profile(dir: string): Promise<string> {
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      await this.run(1);
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(dir, 'transform.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      return file;
    } finally {
      session.disconnect();
    }
  }
}

/**
 * Runs the phase in `transform-child.js` over the subset file (the window, written by the caller) and returns
 * its measured repetitions; `onRun` sees each as it arrives.
 */
export async function measureTransformInChild(
  config: TransformChildConfig,
  onRun: (repetition: number, run: TransformRun) => void,
  onEpochs: (round: number, result: EpochsRound) => void = () => undefined,
): Promise<{ runs: TransformRun[]; epochs: EpochsRound[]; profile?: string }> {
  const child = fork(path.join(__dirname, 'transform-child.js'), [JSON.stringify(config)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr = captureStderr(child);
  const death = failOnExit(child, 'transform phase', stderr.tail);
  const runs: TransformRun[] = [];
  const epochs: EpochsRound[] = [];
  try {
    const done = new Promise<{ runs: TransformRun[]; epochs: EpochsRound[]; profile?: string }>((resolve, reject) => {
      child.on('message', (message: TransformChildMessage) => {
        if (message.type === 'run') {
          runs.push(message.run);
          onRun(message.repetition, message.run);
        } else if (message.type === 'epochs') {
          epochs.push(message.result);
          onEpochs(message.round, message.result);
        } else if (message.type === 'done') resolve({ runs, epochs, ...(message.profile ? { profile: message.profile } : {}) });
        else reject(new Error(`transform phase: ${message.error}`));
      });
    });
    return await Promise.race([done, death.promise]);
  } finally {
    death.cancel();
    await exited(child, 10_000);
  }
}
