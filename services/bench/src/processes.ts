import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Small helpers around the child processes the benchmark measures. */

/** A TCP port nobody listens on right now (the pipeline's ops HTTP port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Peak and current resident set of a process, MB (Linux /proc: VmHWM is the high-water mark of VmRSS). */
export function memoryOf(pid: number): { peakRssMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/**
 * kafkajs logs (at error level) each time the broker answers CONCURRENT_TRANSACTIONS: a transaction began
 * while the previous one's commit was still being completed. The producer then backs off (200 ms at first),
 * which lands straight in the latency tail, so the benchmark counts them.
 */
const TRANSACTION_RETRY = /concurrent operation on the same transaction/;

export interface StderrCapture {
  /** The last lines the child wrote, for the error message when it dies. */
  tail(): string;
  /** Lines that reported a transaction retry (CONCURRENT_TRANSACTIONS) so far. */
  transactionRetries(): number;
}

export function captureStderr(child: ChildProcess, lines = 40): StderrCapture {
  const kept: string[] = [];
  let retries = 0;
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const split = (partial + chunk).split('\n');
    partial = split.pop() ?? '';
    for (const line of split) {
      if (line === '') continue;
      // Each retry is logged twice (the response, then "Failed to send messages"); count the response.
      if (TRANSACTION_RETRY.test(line) && line.includes('AddPartitionsToTxn')) retries++;
      kept.push(line);
    }
    if (kept.length > lines) kept.splice(0, kept.length - lines);
  });
  return { tail: () => [...kept, partial].filter(Boolean).join('\n'), transactionRetries: () => retries };
}

/** Waits for a child to exit; SIGKILL after `ms`. Resolves with its exit code (or signal name). */
export function exited(child: ChildProcess, ms: number): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    });
  });
}

/** Rejects as soon as the child exits, so a wait on it does not hang until its own timeout. */
export function failOnExit(child: ChildProcess, what: string, tail: () => string): { promise: Promise<never>; cancel: () => void } {
  let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onExit = (code, signal) => reject(new Error(`${what} exited early (${code ?? signal}):\n${tail()}`));
    child.once('exit', onExit);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => child.off('exit', onExit) };
}
