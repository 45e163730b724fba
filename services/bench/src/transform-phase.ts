import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { InputRecord, Transform } from '@ampseal/core';
import { type Dataset, type RawTopics, benchTransform, eventIdOf } from './dataset';

/**
 * The transform alone (design §10: events/s on one core): Transform.run in this process, in batches of 500,
 * over the whole dataset, with the in-memory key ring the oracle pass already warmed (every subject cached:
 * what a long-running instance sees). Nothing else runs meanwhile, and the transform is single-threaded, so
 * wall time here is one core's time.
 */
export const TRANSFORM_BATCH = 500;

export interface TransformRun {
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  /** Main-thread plus GC helper CPU over wall time (above 1 means GC ran in parallel). */
  readonly cpu_per_wall: number;
}

export class TransformBench {
  private readonly batches: InputRecord[][] = [];
  private readonly transform: Transform;

  constructor(private readonly data: Dataset, topics: RawTopics) {
    this.transform = benchTransform(data.keyring);
    for (let from = 0; from < data.size; from += TRANSFORM_BATCH) {
      const batch: InputRecord[] = [];
      for (let i = from; i < Math.min(data.size, from + TRANSFORM_BATCH); i++) batch.push({ value: data.values[i]!, eventId: eventIdOf(data, topics, i) });
      this.batches.push(batch);
    }
  }

  /** One pass over the first `events` events (all by default). */
  async run(events = this.data.size): Promise<TransformRun> {
    const batches = this.batches.slice(0, Math.ceil(events / TRANSFORM_BATCH));
    const count = batches.reduce((n, b) => n + b.length, 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const batch of batches) await this.transform.run(batch);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { events: count, seconds, events_per_s: count / seconds, cpu_per_wall: (cpu.user + cpu.system) / 1e6 / seconds };
  }

  /** One extra, unmeasured pass under the V8 sampling profiler; writes `<dir>/transform.cpuprofile`. */
  async profile(dir: string, events = this.data.size): Promise<string> {
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      await this.run(events);
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(dir, 'transform.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      return file;
    } finally {
      session.disconnect();
    }
  }
}
