import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileResources } from './resources';

const ROOT = join(__dirname, '..', '..');
export const AMPSEAL_BIN = join(ROOT, 'services', 'cli', 'bin', 'ampseal.js');

/** How long clean-up lets a child stop on SIGTERM before SIGKILL. */
const CLEANUP_GRACE_MS = 3_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export async function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

/**
 * Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL and waits for that exit (a SIGKILL cannot
 * be ignored, so the wait is bounded by the kernel, not by the child).
 */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = CLEANUP_GRACE_MS): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return exitOf(child);
  const exited = exitOf(child);
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (late) child.kill('SIGKILL');
  return exited;
}

/**
 * Registers a child with the file's resources the moment it exists: clean-up stops it (SIGTERM, then
 * SIGKILL after a grace) unless it has exited by then; an exit drops the registration by itself.
 */
function register<T extends ChildProcess>(name: string, child: T): T {
  const release = fileResources().hold(name, () => stopProcess(child));
  child.once('exit', release);
  // A failed spawn (no such binary) emits 'error' and never 'exit': the test sees it through exitOf/its own
  // handlers, and the registration goes too.
  child.once('error', release);
  return child;
}

/** Any child process a test starts, registered for clean-up at spawn time. */
export function spawnProcess(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return register(name, spawn(command, args, options));
}

export type ServiceProcess = ChildProcess & { output: string[] };

/** `ampseal run <service>` as a child process, so a test can SIGKILL or SIGTERM it like an orchestrator. */
export function spawnService(service: 'pseudonymizer' | 'shredder', env: Record<string, string>): ServiceProcess {
  const child = spawnProcess(`ampseal run ${service}`, process.execPath, [AMPSEAL_BIN, 'run', service], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ServiceProcess;
  child.output = [];
  child.stdout!.on('data', (d: Buffer) => child.output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.output.push(d.toString()));
  return child;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Rejection of {@link runAmpseal}: a plain error (jest's JSON reporter cannot write a child-process error). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string | Buffer;
  readonly timeoutMs?: number;
  readonly maxBuffer?: number;
}

/**
 * Runs the `ampseal` CLI to completion like `promisify(execFile)` does (resolves with its output, rejects
 * on a non-zero exit with `code`, `stdout` and `stderr`), with the child registered for clean-up and
 * SIGKILLed after `timeoutMs`.
 */
export function runAmpseal(args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [AMPSEAL_BIN, ...args],
      { env: { ...process.env, ...options.env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals; killed?: boolean };
        const code = typeof e.code === 'number' ? e.code : null;
        const why = e.killed && e.signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : code !== null ? `exit code ${code}` : (e.signal ?? e.message);
        reject(new CommandError(`ampseal ${args[0] ?? ''} failed (${why})`, code, e.signal ?? null, stdout, stderr));
      },
    );
    register(`ampseal ${args[0] ?? ''}`, child);
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Runs the `ampseal` CLI like {@link runAmpseal}, but resolves with the exit code too instead of rejecting on one. */
export async function runAmpsealForExit(
  env: Record<string, string>,
  ...args: string[]
): Promise<CommandResult & { readonly code: number }> {
  try {
    const { stdout, stderr } = await runAmpseal(args, { env, timeoutMs: 90_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { stdout: err.stdout, stderr: err.stderr, code: err.code ?? -1 };
  }
}

/** Polls an HTTP URL until it answers with `status` (readiness probes). */
export async function waitForHttp(url: string, status = 200, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Waits until a service's /readyz answers 200, watching the child: an exit fails at once (not after the whole
 * timeout), and either failure carries the last readiness answer and the end of the child's own log, which is
 * the only place its reason is (a CI log shows the test's output, not the child's).
 */
export async function waitForReady(child: ServiceProcess, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  const failure = (why: string) => new Error(`${why}; last readiness: ${last}; the service's log ends:\n${logTail(child)}`);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw failure(`the service on :${port} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return;
    } catch {
      last = 'no answer';
    }
    if (Date.now() > deadline) throw failure(`the service on :${port} was not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The last lines a service wrote (stdout and stderr as they came), for a failure's message. */
export function logTail(child: ServiceProcess, lines = 15): string {
  return child.output.join('').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The lowest ephemeral port: the kernel hands the ports from here up to outgoing connections (every Kafka,
 * Redis and registry client of every test), so a listener chosen up there can find its port taken by one.
 */
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
})();
const PORT_LOW = 20_000;
const handedOut = new Set<number>();

/**
 * A port for a test's own listener (a service's ops port, a private Redis or KMS): below the ephemeral range,
 * never the same twice in one process. Two jest workers may still draw the same one (about one in 12,000):
 * `waitForReady` then fails at once with the service's "address in use" in its message.
 */
export function freePort(): number {
  for (;;) {
    const port = PORT_LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - PORT_LOW));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export interface Readiness {
  /** The HTTP status (200 ready, 503 otherwise). */
  readonly code: number;
  /** `ready`, `not_ready`, `stopping`, `failed`. */
  readonly status: string;
  readonly reasons: readonly string[];
}

/** A service's `/readyz` answer, or null while nothing answers on its port (not started yet, or gone). */
export async function readyz(port: number): Promise<Readiness | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await res.json()) as { status: string; reasons?: string[] };
    return { code: res.status, status: body.status, reasons: body.reasons ?? [] };
  } catch {
    return null;
  }
}

/** The sum of a metric's series on a service's `/metrics` (0 when absent), or null while nothing answers. */
export async function metricValue(port: number, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  } catch {
    return null;
  }
}
