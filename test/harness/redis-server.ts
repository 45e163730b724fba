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
  readonly port = freePort();
  readonly dir = mkdtempSync(join(tmpdir(), 'ampseal-redis-'));
  private child: ChildProcess | undefined;

  /** `password`: the server requires AUTH (`requirepass`), as the local stack's does. */
  constructor(readonly password?: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    watchPort(this.port);
    const auth = this.password === undefined ? [] : ['--requirepass', this.password];
    this.child = spawnProcess('private redis', redisBinary(), ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', ...auth], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    const cliEnv = this.password === undefined ? process.env : { ...process.env, REDISCLI_AUTH: this.password };
    while (spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8', timeout: 2_000, killSignal: 'SIGKILL', env: cliEnv }).stdout?.trim() !== 'PONG') {
      if (Date.now() > deadline) throw new Error('private redis did not start');
      await new Promise((r) => setTimeout(r, 50));
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
