import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPort } from './leaks';
import { exitOf, spawnProcess } from './processes';
import { fileResources, type Resources } from './resources';

const ROOT = join(__dirname, '..', '..');
const STACK = join(ROOT, 'infra', 'stack.sh');
/** A start that needs the jars resolved first can take minutes; a warm one takes seconds. */
const UP_TIMEOUT_MS = 240_000;

export interface ClusterOptions {
  /**
   * First broker port; node i listens on base + 2(i-1), its controller one above. A single node (brokers: 1)
   * takes base (PLAINTEXT), base + 1 (controller) and base + 2 (SASL_SSL).
   */
  readonly portBase: number;
  /** 3 by default (replication factor 3, min ISR 2); 1 is a private single broker (factor 1). */
  readonly brokers?: number;
}

/** The single node's authenticated listener, as the launcher set it up in this cluster's state directory. */
export interface SaslListener {
  readonly brokers: readonly string[];
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly username: string;
  readonly passwordFile: string;
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
    if (this.nodes === 1) watchPort(options.portBase + 2);
    fileResources().add('kafka cluster', this, (c) => c.down());
  }

  /** The single node's SASL_SSL listener (SCRAM-SHA-512/256 and PLAIN over TLS with the launcher's own CA). */
  get sasl(): SaslListener {
    if (this.nodes !== 1) throw new Error('the SASL_SSL listener is on the single node only');
    return {
      brokers: [`127.0.0.1:${this.options.portBase + 2}`],
      caFile: join(this.dir, 'tls', 'ca.pem'),
      clientCertFile: join(this.dir, 'tls', 'client.pem'),
      clientKeyFile: join(this.dir, 'tls', 'client.key'),
      username: 'ampseal',
      passwordFile: join(this.dir, 'secrets', 'kafka-sasl.password'),
    };
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
    return Number(readFileSync(join(this.dir, 'pids', this.nodes === 1 ? 'kafka.pid' : `kafka-${node}.pid`), 'utf8').trim());
  }

  /**
   * SIGSTOP of a node: it keeps its connections open and answers nothing, like a broker that hangs (or dies
   * with requests in flight once it is killed afterwards). Only `kill` ends it; `up` does not see it as down.
   */
  freeze(node: number): void {
    process.kill(this.pidOf(node), 'SIGSTOP');
  }

  /**
   * kill -9 of a node (or another signal: SIGTERM is a broker's controlled shutdown), resolved once the process is
   * gone (it is not our child: polled, not awaited; the file's budget bounds a node that ignores SIGTERM).
   */
  async kill(node: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pidOf(node);
    process.kill(pid, signal);
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  }

  private async launcher(...args: string[]): Promise<void> {
    // Several nodes are the launcher's cluster mode in this directory; one node is its single-node stack moved into
    // this directory and onto these ports (AMPSEAL_STACK_DIR below), which alone has the SASL_SSL listener, and
    // whose `down` stops only what this directory's pid files name, never the shared stack.
    const child = spawnProcess(`stack.sh ${args[0]}`, 'bash', [STACK, ...args, '--brokers', String(this.nodes)], {
      env: {
        ...process.env,
        AMPSEAL_CLUSTER_DIR: this.dir,
        AMPSEAL_CLUSTER_PORT_BASE: String(this.options.portBase),
        // A single node is the launcher's own single-node stack, moved into this directory and onto these ports.
        AMPSEAL_STACK_DIR: this.dir,
        AMPSEAL_STACK_KAFKA_PORT: String(this.options.portBase),
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

/**
 * An OAUTHBEARER token for `subject` in a file of its own (removed at the file's clean-up), as an identity provider's
 * token file would hold: the test broker validates unsigned JWTs (`sub` and `exp`; infra/kafka/server.properties),
 * which proves the token plumbing against a real broker, not a provider's signature. Returns the token file and
 * the folder, where a test can name a file that does not exist.
 */
export function unsignedTokenFile(resources: Resources, subject: string): { readonly tokenFile: string; readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-oauth-'));
  resources.add('token dir', dir, async (d) => rmSync(d, { recursive: true, force: true }));
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${part({ alg: 'none' })}.${part({ sub: subject, iat: now, exp: now + 3600 })}.\n`);
  return { tokenFile, dir };
}
