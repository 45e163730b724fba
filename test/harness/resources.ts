import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { findLeaks, snapshotHandles } from './leaks';

/** A topic, group or key name no other test (or earlier run) uses: `<prefix>.<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomBytes(4).toString('hex')}`;
}

/** Budget of a file that sets none: generous for a file of a few short tests against the stack. */
export const DEFAULT_FILE_BUDGET_MS = 120_000;
/** One closer may take this long (a service's stop drains its batch in hand) before clean-up moves on. */
const CLOSE_TIMEOUT_MS = 20_000;
/** The afterAll hook's own bound: closers, then the leak check. */
const CLEANUP_TIMEOUT_MS = 90_000;

interface Entry {
  readonly name: string;
  readonly close: () => Promise<unknown>;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Everything a test file opens is registered here and closed after its last test, in reverse order, even
 * when an assertion failed. Registration happens when the thing is created (a child at spawn, a client at
 * construction), never after the first await, so no failure can come between the two.
 */
export class Resources {
  private readonly entries: Entry[] = [];

  add<T>(name: string, value: T, close: (value: T) => Promise<unknown>): T {
    this.entries.push({ name, close: () => close(value) });
    return value;
  }

  /**
   * For something its owner closes on the normal path (a child that exits, a client a helper disconnects
   * in `finally`): clean-up closes it only if the owner did not get to. Returns the release function.
   */
  hold(name: string, close: () => Promise<unknown>): () => void {
    const entry: Entry = { name, close };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  get open(): number {
    return this.entries.length;
  }

  /** Closes everything, newest first; a closer that throws or hangs is reported, the others still run. */
  async closeAll(closeTimeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    const errors: unknown[] = [];
    while (this.entries.length > 0) {
      const { name, close } = this.entries.pop()!;
      try {
        await within(Promise.resolve().then(close), closeTimeoutMs, `closing ${name}`);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `closing test resources failed: ${errors.map((e) => (e as Error).message).join('; ')}`);
  }
}

let current: Resources | undefined;

/** The calling file's resources: helpers that start processes or clients register them here themselves. */
export function fileResources(): Resources {
  if (!current) throw new Error('this helper registers what it starts: call useResources() at the top of the test file first');
  return current;
}

export interface FileOptions {
  /**
   * The whole file's wall-time budget. When it runs out the harness kills and closes everything registered
   * (so a test waiting on it returns), and the file fails. Also each test's default timeout.
   */
  readonly budgetMs?: number;
}

/**
 * A test file's resources, budget and leak check. Call once, at the top of the file (jest loads each file in
 * its own module registry, so the harness's state is per file).
 */
export function useResources(options: FileOptions = {}): Resources {
  const budgetMs = options.budgetMs ?? DEFAULT_FILE_BUDGET_MS;
  const resources = new Resources();
  current = resources;
  jest.setTimeout(budgetMs);
  const baseline = snapshotHandles();
  const testPath = expect.getState().testPath;
  const file = testPath ? relative(join(__dirname, '..'), testPath) : 'this file';
  let overran = false;
  let timer: NodeJS.Timeout | undefined;

  beforeAll(() => {
    timer = setTimeout(() => {
      overran = true;
      process.stderr.write(`\n[harness] ${file} overran its budget of ${budgetMs / 1000} s: killing its processes and closing its clients\n`);
      resources.closeAll(5_000).catch(() => undefined);
    }, budgetMs);
    timer.unref();
  });

  afterAll(async () => {
    clearTimeout(timer);
    const problems: string[] = [];
    if (overran) problems.push(`the file overran its budget of ${budgetMs / 1000} s`);
    try {
      await resources.closeAll();
    } catch (err) {
      problems.push((err as Error).message);
    }
    // Whatever is still open now was started outside the registry or survived its closer: killed here so
    // the run goes on, and the file fails so the leak gets fixed.
    const leaks = await findLeaks(baseline);
    if (leaks.length > 0) problems.push(`left open after clean-up (killed now): ${leaks.join('; ')}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }, CLEANUP_TIMEOUT_MS);
  return resources;
}
