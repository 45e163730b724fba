import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
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
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
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
