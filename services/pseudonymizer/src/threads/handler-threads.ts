import { channel } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AmpsealError } from '@ampseal/core';
import type { ConsumedRecord, OutputRecord, StreamHandler } from '@ampseal/kafka';
import type { Component, Logger } from '@ampseal/service-kit';
import type { RoamingTopics } from '../handler';
import { decodeError, decodeOutputs, encodeChunk, encodeError, logEntry, type BridgedEvent, type FromThread, type ToThread } from './protocol';
import type { ThreadData } from './thread-data';

export interface HandlerThreadsOptions {
  readonly threads: number;
  /** Per thread, its `workerData` (the index is set here). */
  readonly data: Omit<ThreadData, 'index'>;
  readonly roamingTopics: RoamingTopics;
  /** The process's logger: the pool's own lines say `component: handler-threads`, a thread's lines keep their own fields. */
  readonly logger: Logger;
  /** Called once when a thread exits or crashes while running: the service fails for good (HANDLER_THREAD_EXITED). */
  readonly onFailure: (error: AmpsealError) => void;
  /** The thread's entry (compiled JavaScript); default the one beside this file. */
  readonly script?: string;
  /** How long a thread may take to stop its key ring before it is terminated. */
  readonly stopTimeoutMs?: number;
}

interface Thread {
  readonly index: number;
  readonly worker: Worker;
  /** Chunks sent and not answered yet. */
  inFlight: number;
  readonly pending: Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>;
  exited: Promise<void>;
}

const THREAD_EXITED = () => new AmpsealError('HANDLER_THREAD_EXITED');

/**
 * The pseudonymizer's record handler on worker threads (AMPSEAL_HANDLER_THREADS): the main thread keeps kafkajs
 * (fetch, produce, transactions, commits), each thread has its own key ring, transform and encoder.
 *
 * - Order: the stream hands a partition's chunks one after another (the next only once the last is committed), so
 *   a partition never has more than one chunk in a thread, and the chunks in flight overall are at most the
 *   partitions handled at once. A thread handles its chunks one at a time, in arrival order.
 * - Placement: a chunk goes to the thread with the fewest chunks in hand; on a tie, to the thread its partition
 *   used last (its subjects are likelier in that thread's key cache).
 * - Errors cross as data (protocol.ts) and are classified as in-thread. A thread that exits or crashes fails the
 *   service for good (no respawn: a fresh process is restarted by the orchestrator, as for any `instance` failure);
 *   every chunk in flight and every later call rejects with HANDLER_THREAD_EXITED, so nothing hangs on it.
 * - Diagnostics events published inside a thread (key ring, pipeline counters) are re-published here, before the
 *   chunk's outputs are returned: /metrics counts what it counted in-thread.
 */
export class HandlerThreads implements Component {
  /** Every handler thread of this process that has not exited yet, whoever started it (the test harness's leak check). */
  private static readonly live = new Set<Worker>();

  /** Handler threads started and not exited yet; `terminate` ends them (a leak check's clean-up). */
  static running(): { count: number; terminate: () => Promise<void> } {
    const workers = [...HandlerThreads.live];
    return { count: workers.length, terminate: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
  }

  readonly name = 'handler-threads';
  private threads: Thread[] = [];
  private readonly lastThread = new Map<string, number>();
  private nextId = 0;
  private closing = false;
  /** All threads up: an exit from now on is a failure of the running service, not of its start. */
  private running = false;
  private failure: AmpsealError | undefined;

  constructor(private readonly options: HandlerThreadsOptions) {
    if (options.threads < 1) throw new Error('handler threads: at least one');
  }

  /** Every thread up, and not stopping. */
  get isRunning(): boolean {
    return this.running && !this.closing;
  }

  /**
   * Ends one thread at once, as a crash would (tests prove with it that the service then fails for good, and
   * that nothing waits on the dead thread). Resolves once the thread has exited.
   */
  async terminate(index: number): Promise<void> {
    const thread = this.threads[index];
    if (!thread) return;
    await thread.worker.terminate();
    await thread.exited;
  }

  /** Resolves once every thread's key ring has started; rejects with the first thread's start failure. */
  async start(): Promise<void> {
    const script = this.options.script ?? join(__dirname, 'thread-main.js');
    const started: Array<Promise<void>> = [];
    for (let index = 0; index < this.options.threads; index++) {
      const worker = new Worker(script, { workerData: { ...this.options.data, index } satisfies ThreadData });
      HandlerThreads.live.add(worker);
      worker.once('exit', () => HandlerThreads.live.delete(worker));
      let ready: (err?: Error) => void = () => undefined;
      started.push(new Promise<void>((resolve, reject) => (ready = (err) => (err ? reject(err) : resolve()))));
      const thread: Thread = { index, worker, inFlight: 0, pending: new Map(), exited: Promise.resolve() };
      thread.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
      worker.on('message', (message: FromThread) => this.onMessage(thread, message, ready));
      worker.on('error', (err) => {
        this.options.logger.error({ component: 'handler-threads', thread: index, err: { name: err.name } }, 'handler thread crashed');
        ready(THREAD_EXITED());
      });
      worker.on('exit', (code) => {
        ready(THREAD_EXITED());
        this.onExit(thread, code);
      });
      this.threads.push(thread);
    }
    try {
      await Promise.all(started);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.running = true;
  }

  readonly handler: StreamHandler = (records: readonly ConsumedRecord[]): Promise<OutputRecord[]> => {
    if (this.failure || this.closing || this.threads.length === 0) return Promise.reject(this.failure ?? THREAD_EXITED());
    if (records.length === 0) return Promise.resolve([]);
    const partition = `${records[0]!.topic}:${records[0]!.partition}`;
    const thread = this.pick(partition);
    this.lastThread.set(partition, thread.index);
    const id = this.nextId++;
    const { message, transfer } = encodeChunk(id, records);
    thread.inFlight++;
    return this.request<OutputRecord[]>(thread, id, message, transfer).finally(() => thread.inFlight--);
  };

  /**
   * Drops the tokens from every thread's key cache; resolves with the number dropped once every thread has
   * acknowledged (the receipt counts as applied only then: erasure tests measure receipt → eviction).
   */
  async evict(tenant: string, tokens: readonly string[]): Promise<number> {
    if (this.failure || this.threads.length === 0) throw this.failure ?? THREAD_EXITED();
    const counts = await Promise.all(
      this.threads.map((thread) => {
        const id = this.nextId++;
        return this.request<number>(thread, id, { type: 'evict', id, tenant, tokens });
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    this.closing = true;
    const timeout = this.options.stopTimeoutMs ?? 5_000;
    await Promise.all(
      this.threads.map(async (thread) => {
        const stopped = new Promise<void>((resolve) => {
          const onMessage = (m: FromThread) => m.type === 'stopped' && resolve();
          thread.worker.on('message', onMessage);
          void thread.exited.then(resolve);
        });
        try {
          thread.worker.postMessage({ type: 'stop' } satisfies ToThread);
        } catch {
          // already gone
        }
        await within(stopped, timeout);
        // A stopped thread ends by itself once its port is closed; one that does not is terminated.
        await within(thread.exited, 1_000);
        await thread.worker.terminate();
        await thread.exited;
      }),
    );
    this.threads = [];
  }

  private pick(partition: string): Thread {
    const last = this.lastThread.get(partition);
    let best = this.threads[last ?? 0]!;
    for (const t of this.threads) if (t.inFlight < best.inFlight) best = t;
    return best;
  }

  private request<T>(thread: Thread, id: number, message: ToThread, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      thread.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        thread.worker.postMessage(message, transfer);
      } catch (err) {
        thread.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private onMessage(thread: Thread, message: FromThread, ready: (err?: Error) => void): void {
    if ('events' in message) republish(message.events);
    switch (message.type) {
      case 'ready':
        ready();
        return;
      case 'start-failed':
        ready(decodeError(message.error));
        return;
      case 'handled':
        this.settle(thread, message.id, (p) => p.resolve(decodeOutputs(message)));
        return;
      case 'failed':
        this.settle(thread, message.id, (p) => p.reject(decodeError(message.error)));
        return;
      case 'evicted':
        this.settle(thread, message.id, (p) => p.resolve(message.evicted));
        return;
      case 'topics':
        this.options.roamingTopics.existing(message.topics).then(
          (existing) => thread.worker.postMessage({ type: 'topics', id: message.id, existing: [...existing] } satisfies ToThread),
          (err: unknown) => thread.worker.postMessage({ type: 'topics', id: message.id, error: encodeError(err) } satisfies ToThread),
        );
        return;
      case 'log': {
        const entry = logEntry(message.line);
        if (entry) this.options.logger[entry.level](entry.fields, entry.msg);
        return;
      }
      case 'stopped':
      case 'events':
        return;
    }
  }

  private settle(thread: Thread, id: number, how: (pending: { resolve: (value: unknown) => void; reject: (err: Error) => void }) => void): void {
    const pending = thread.pending.get(id);
    if (!pending) return;
    thread.pending.delete(id);
    how(pending);
  }

  private onExit(thread: Thread, code: number): void {
    const error = THREAD_EXITED();
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
    if (this.closing || !this.running) return;
    this.options.logger.error({ component: 'handler-threads', thread: thread.index, exitCode: code }, 'handler thread exited: the service stops');
    if (!this.failure) {
      this.failure = error;
      this.options.onFailure(error);
    }
  }
}

/** Resolves when `promise` settles or after `ms`, whichever is first (never rejects). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

const channels = new Map<string, ReturnType<typeof channel>>();
function republish(events: readonly BridgedEvent[]): void {
  for (const e of events) {
    let c = channels.get(e.channel);
    if (!c) channels.set(e.channel, (c = channel(e.channel)));
    if (c.hasSubscribers) c.publish(e.message);
  }
}
