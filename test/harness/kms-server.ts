import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { watchPort } from './leaks';
import { freePort, spawnProcess, stopProcess } from './processes';

const ROOT = join(__dirname, '..', '..');

/** The local-kms binary the launcher builds and caches, asked of the launcher itself. */
function kmsBinary(): string {
  const found = spawnSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'kms-bin'], { encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL' });
  const binary = found.stdout.trim().split('\n').pop() ?? '';
  if (found.status !== 0 || !existsSync(binary)) throw new Error('no local-kms binary (infra/stack.sh kms-bin failed)');
  return binary;
}

/**
 * A local-kms of the test's own, standing for one AWS region: its own port, data directory and seed, holding one
 * symmetric key (random backing key) per tenant given, under `alias/ampseal/<tenant>`. Key ARNs name the region, so
 * a test can tell which "region" wrapped a key. The process is registered with the file's resources at spawn.
 */
export class PrivateKms {
  readonly port = freePort();
  readonly dir = mkdtempSync(join(tmpdir(), 'ampseal-kms-'));
  readonly account = '111122223333';
  private child: ChildProcess | undefined;

  constructor(
    readonly region: string,
    readonly tenants: readonly string[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const ids = this.tenants.map(() => randomUUID());
    const seed = [
      'Keys:',
      '  Symmetric:',
      '    Aes:',
      ...this.tenants.flatMap((tenant, i) => [
        `      - Metadata:`,
        `          KeyId: ${ids[i]}`,
        `          Description: test root key for ${tenant} in ${this.region}`,
        `        BackingKeys:`,
        `          - ${randomBytes(32).toString('hex')}`,
      ]),
      'Aliases:',
      ...this.tenants.flatMap((tenant, i) => [`  - AliasName: alias/ampseal/${tenant}`, `    TargetKeyId: ${ids[i]}`]),
    ].join('\n');
    writeFileSync(join(this.dir, 'seed.yaml'), `${seed}\n`);
    mkdirSync(join(this.dir, 'db'), { recursive: true });
    watchPort(this.port);
    this.child = spawnProcess('private local-kms', kmsBinary(), [], {
      stdio: 'ignore',
      env: { ...process.env, PORT: String(this.port), KMS_REGION: this.region, KMS_ACCOUNT_ID: this.account, KMS_DATA_PATH: join(this.dir, 'db'), KMS_SEED_PATH: join(this.dir, 'seed.yaml') },
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if ((await listKeysStatus(this.port)) === 200) return;
      if (Date.now() > deadline) throw new Error('private local-kms did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopProcess(child, 'SIGTERM', 5_000);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One ListKeys call on a connection of its own (no keep-alive socket left for the leak check); 0 when refused. */
function listKeysStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, timeout: 2_000, headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'TrentService.ListKeys' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end('{}');
  });
}
