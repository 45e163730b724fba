import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPort } from './leaks';
import { freePort, spawnProcess, stopProcess } from './processes';

const ROOT = join(__dirname, '..', '..');

/** The server binary the launcher installs (Debian's redis-tools), asked of the launcher itself. */
function redisBinary(): string {
  const found = spawnSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'redis-bin'], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  const binary = found.stdout.trim().split('\n').pop() ?? '';
  if (found.status !== 0 || !existsSync(binary)) throw new Error('no redis-server binary (infra/stack.sh redis-bin failed)');
  return binary;
}

/**
 * A Redis of the test's own (real server, AOF on, own port and data directory) that the test may stop and
 * restart without disturbing the shared stack. The server process is registered with the file's resources
 * at spawn, and connections to its port count as leaks when the file ends.
 */
export class PrivateRedis {
  private boundPort = freePort();
  readonly dir = mkdtempSync(join(tmpdir(), 'ampseal-redis-'));
  private child: ChildProcess | undefined;

  /** `password`: the server requires AUTH (`requirepass`), as the local stack's does. */
  constructor(readonly password?: string) {}

  /** The port it listens on (another one after `start()` when the first was taken meanwhile). */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the server and waits until it answers (its own process id in INFO). freePort() draws below the kernel's
   * ephemeral range, so outgoing connections no longer take it, but a port found free can still be bound by another
   * process before the server binds it. A server that exits or does not answer is stopped and started again on a
   * fresh port, three times at most.
   */
  async start(): Promise<void> {
    const binary = redisBinary();
    const cliEnv = this.password === undefined ? process.env : { ...process.env, REDISCLI_AUTH: this.password };
    for (let attempt = 1; ; attempt++) {
      watchPort(this.port);
      const auth = this.password === undefined ? [] : ['--requirepass', this.password];
      const child = spawnProcess('private redis', binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', ...auth], { stdio: 'ignore' });
      this.child = child;
      const deadline = Date.now() + 10_000;
      let answered = false;
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
        // This server's own answer: another file's Redis on a port taken meanwhile would answer PONG too.
        const info = spawnSync('redis-cli', ['-p', String(this.port), 'info', 'server'], { encoding: 'utf8', timeout: 2_000, killSignal: 'SIGKILL', env: cliEnv }).stdout ?? '';
        if (new RegExp(`^process_id:${child.pid}\\r?$`, 'm').test(info)) {
          answered = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (answered) return;
      await this.stop();
      if (attempt === 3) throw new Error('private redis did not start (3 ports tried)');
      this.boundPort = freePort();
    }
  }

  /** A clean shutdown (SIGTERM: Redis flushes its AOF), as when ops stop the server; SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    await stopProcess(child, 'SIGTERM', 10_000);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
