import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AmpsealError } from '@ampseal/core';
import { classifyFailure, type ConsumedRecord } from '@ampseal/kafka';
import { HandlerThreads } from './handler-threads';
import type { ThreadData } from './thread-data';

/**
 * The pool's own behaviour, with stand-in threads that speak the protocol (a few lines of plain JavaScript: the real
 * thread needs Redis and KMS, and is run by test/pipeline/handler-threads.test.ts). `workerData.mode` says how the
 * stand-in behaves.
 */
const STAND_IN = `
const { parentPort, workerData } = require('node:worker_threads');
const { mode, index } = workerData;
const empty = (id, topic) => ({ type: 'handled', id, topics: [topic], topicOf: new Uint16Array([0]), bytes: { buffer: new ArrayBuffer(0), lengths: new Int32Array([-1, 0]) }, headers: [], events: [] });
if (mode === 'start-fails') {
  parentPort.postMessage({ type: 'start-failed', error: { kind: 'ampseal', name: 'KMS_UNAVAILABLE', message: 'KMS did not answer' } });
} else {
  parentPort.on('message', (m) => {
    if (m.type === 'handle' && mode === 'exits') process.exit(3);
    if (m.type === 'handle' && mode === 'redis-down') {
      parentPort.postMessage({ type: 'failed', id: m.id, error: { kind: 'ampseal', name: 'KEYRING_UNAVAILABLE', message: 'key store did not answer' }, events: [{ channel: 'ampseal:keyring', message: { type: 'redis', commands: 1, durationMs: 1, ok: false } }] });
    }
    // Answers after a while, naming the thread that handled the chunk in the output's topic.
    if (m.type === 'handle' && mode === 'echo') setTimeout(() => parentPort.postMessage(empty(m.id, 'thread-' + index)), 50);
    if (m.type === 'evict') setTimeout(() => parentPort.postMessage({ type: 'evicted', id: m.id, evicted: index + 1, events: [] }), 30 * (index + 1));
    if (m.type === 'stop') {
      parentPort.postMessage({ type: 'stopped', events: [] });
      parentPort.close();
    }
  });
  parentPort.postMessage({ type: 'ready', events: [] });
}
`;

let dir: string;
let script: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ampseal-threads-'));
  script = join(dir, 'stand-in.js');
  writeFileSync(script, STAND_IN);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools: HandlerThreads[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

function pool(mode: string, threads = 1) {
  const failures: AmpsealError[] = [];
  const threadsPool = new HandlerThreads({
    threads,
    data: { mode } as unknown as Omit<ThreadData, 'index'>,
    roamingTopics: { existing: async (t) => new Set(t) },
    logger: pino({ level: 'silent' }),
    onFailure: (e) => failures.push(e),
    script,
  });
  pools.push(threadsPool);
  return { threads: threadsPool, failures };
}

const chunk = (partition: number, n = 2): ConsumedRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic: 'ocpp.raw', partition, offset: String(i), key: null, value: Buffer.from(`{"i":${i}}`) }));

describe('handler threads', () => {
  it('fails the service once when a thread exits, rejecting the chunk in hand and every later one (never a hang)', async () => {
    const { threads, failures } = pool('exits');
    await threads.start();
    const inHand = threads.handler(chunk(0));
    await expect(inHand).rejects.toMatchObject({ code: 'AMPSEAL_ERR_HANDLER_THREAD_EXITED' });
    expect(classifyFailure(await inHand.catch((e: unknown) => e)).action).toBe('stop');
    await expect(threads.handler(chunk(1))).rejects.toMatchObject({ code: 'AMPSEAL_ERR_HANDLER_THREAD_EXITED' });
    await expect(threads.evict('acme-cpo', ['t'])).rejects.toMatchObject({ code: 'AMPSEAL_ERR_HANDLER_THREAD_EXITED' });
    expect(failures.map((f) => f.code)).toEqual(['AMPSEAL_ERR_HANDLER_THREAD_EXITED']);
  });

  it("rejects a chunk with the thread's error as the failure policy reads it in-thread, its events re-published first", async () => {
    const { threads, failures } = pool('redis-down');
    await threads.start();
    const seen: unknown[] = [];
    const onEvent = (e: unknown) => seen.push(e);
    subscribe('ampseal:keyring', onEvent);
    try {
      const err = await threads.handler(chunk(0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AmpsealError);
      expect(classifyFailure(err)).toMatchObject({ action: 'retry', error: { reason: 'keyring_unavailable' } });
      expect(seen).toEqual([{ type: 'redis', commands: 1, durationMs: 1, ok: false }]);
    } finally {
      unsubscribe('ampseal:keyring', onEvent);
    }
    // A retriable failure is the stream's to retry: the service has not failed.
    expect(failures).toEqual([]);
  });

  it('counts an eviction done only once every thread has acknowledged it, with the sum of what each dropped', async () => {
    const { threads } = pool('echo', 3);
    await threads.start();
    const t0 = Date.now();
    expect(await threads.evict('acme-cpo', ['tok'])).toBe(1 + 2 + 3);
    // The slowest stand-in answers after 90 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(85);
  });

  it('spreads partitions handled at once over the threads, and keeps a partition on its thread when they are idle', async () => {
    const { threads } = pool('echo', 2);
    await threads.start();
    const topicsOf = async (calls: Array<Promise<Array<{ topic: string }>>>) => (await Promise.all(calls)).map((o) => o[0]!.topic);
    const [a, b] = await topicsOf([threads.handler(chunk(0)), threads.handler(chunk(1))]);
    expect(a).not.toBe(b);
    expect(await topicsOf([threads.handler(chunk(1))])).toEqual([b]);
    expect(await topicsOf([threads.handler(chunk(0))])).toEqual([a]);
  });

  it("fails its start with a thread's start failure, and leaves no thread behind", async () => {
    const { threads, failures } = pool('start-fails', 2);
    await expect(threads.start()).rejects.toMatchObject({ code: 'AMPSEAL_ERR_KMS_UNAVAILABLE' });
    await expect(threads.handler(chunk(0))).rejects.toMatchObject({ code: 'AMPSEAL_ERR_HANDLER_THREAD_EXITED' });
    expect(failures).toEqual([]);
  });
});
