import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPort } from './leaks';
import { exitOf, spawnProcess } from './processes';
import { fileResources } from './resources';

const ROOT = join(__dirname, '..', '..');
const STACK = join(ROOT, 'infra', 'stack.sh');
/** A start that needs the jars resolved first can take minutes; a warm one takes seconds. */
const UP_TIMEOUT_MS = 240_000;

export interface ClusterOptions {
  /** First broker port; node i listens on base + 2(i-1), its controller one above. */
  readonly portBase: number;
  readonly brokers?: number;
}

/**
 * A Kafka cluster of this test file's own, started and stopped through the launcher (`infra/stack.sh up
 * --brokers 3`) in a temporary state directory. Its nodes are not children of the test (the launcher
 * detaches them), so clean-up is registered before the first start: `down` stops them by pid even when the
 * start failed half-way, then the directory goes.
 */
export class TestCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'ampseal-cluster-'));
  readonly nodes: number;
  readonly brokers: readonly string[];

  constructor(private readonly options: ClusterOptions) {
    this.nodes = options.brokers ?? 3;
    this.brokers = Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.portOf(i + 1)}`);
    for (let i = 1; i <= this.nodes; i++) watchPort(this.portOf(i));
    fileResources().add('kafka cluster', this, (c) => c.down());
  }

  portOf(node: number): number {
    return this.options.portBase + 2 * (node - 1);
  }

  /** `up`: starts every node that is not running and waits until each is ready. Resolves with the wall time. */
  async up(): Promise<number> {
    const started = Date.now();
    await this.launcher('up', 'kafka');
    return Date.now() - started;
  }

  async down(): Promise<void> {
    try {
      await this.launcher('down');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The pid of a node's JVM, as the launcher recorded it. */
  pidOf(node: number): number {
    return Number(readFileSync(join(this.dir, 'pids', `kafka-${node}.pid`), 'utf8').trim());
  }

  /**
   * SIGSTOP of a node: it keeps its connections open and answers nothing, like a broker that hangs (or dies
   * with requests in flight once it is killed afterwards). Only `kill` ends it; `up` does not see it as down.
   */
  freeze(node: number): void {
    process.kill(this.pidOf(node), 'SIGSTOP');
  }

  /** kill -9 of a node, resolved once the process is gone (it is not our child: polled, not awaited). */
  async kill(node: number): Promise<void> {
    const pid = this.pidOf(node);
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  }

  private async launcher(...args: string[]): Promise<void> {
    const child = spawnProcess(`stack.sh ${args[0]}`, 'bash', [STACK, ...args, '--brokers', String(this.nodes)], {
      env: {
        ...process.env,
        AMPSEAL_CLUSTER_DIR: this.dir,
        AMPSEAL_CLUSTER_PORT_BASE: String(this.options.portBase),
        // Clean-up gives each closer 20 s: the nodes get 5 s to stop before SIGKILL.
        AMPSEAL_CLUSTER_STOP_GRACE_S: '5',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), UP_TIMEOUT_MS);
    try {
      const exit = await exitOf(child);
      if (exit.code !== 0) throw new Error(`infra/stack.sh ${args.join(' ')} --brokers ${this.nodes} failed (${exit.code ?? exit.signal}):\n${stderr.join('').slice(-3_000)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
