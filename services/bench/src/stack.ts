import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `bash infra/stack.sh up`: starts what is not running, reuses what is, and prints the endpoints as
 * AMPSEAL_* lines, which become the environment of everything the benchmark starts.
 */
export function ensureStack(root: string): Record<string, string> {
  const result = spawnSync('bash', [path.join(root, 'infra', 'stack.sh'), 'up'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`infra/stack.sh up failed (exit ${result.status ?? result.signal})`);
  const env: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const m = /^(AMPSEAL_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  if (!env.AMPSEAL_KAFKA_BROKERS) throw new Error('infra/stack.sh up printed no endpoints');
  return env;
}

/**
 * The endpoints from this process's environment when they are all set (an integration test's harness, or
 * `eval "$(bash infra/stack.sh env)"`), else from `ensureStack`: the soak and the fuzzer must not start a
 * second stack under a test that already has one.
 */
export function stackFromEnvOrUp(root: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const needed = ['AMPSEAL_KAFKA_BROKERS', 'AMPSEAL_SCHEMA_REGISTRY_URL', 'AMPSEAL_REDIS_URL', 'AMPSEAL_KMS_ENDPOINT'];
  if (needed.every((name) => env[name])) {
    const out: Record<string, string> = {};
    for (const name of [...needed, 'AMPSEAL_KMS_REGION', 'AMPSEAL_KMS_EMULATOR']) if (env[name]) out[name] = env[name];
    // The local stack's KMS is local-kms; a stack started before `env` printed the flag does not set it.
    if (out.AMPSEAL_KMS_ENDPOINT!.startsWith('http:')) out.AMPSEAL_KMS_EMULATOR ??= 'true';
    return out;
  }
  return ensureStack(root);
}

export interface Machine {
  readonly cores: number;
  /** `model name` of /proc/cpuinfo, verbatim (a hypervisor may shorten it, e.g. 'AMD EPYC'). */
  readonly cpu: string;
  /** family/model/stepping of /proc/cpuinfo: names the generation when the model name does not. */
  readonly cpu_signature: string;
  readonly memory_gb: number;
  readonly node: string;
  readonly kafka: string;
  readonly redis: string;
  readonly os: string;
  readonly date: string;
  readonly load_average_at_start: readonly number[];
}

/** The first processor's model name and family/model/stepping in /proc/cpuinfo text; undefined when absent. */
export function cpuOfCpuinfo(text: string): { model: string; signature: string } | undefined {
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const model = field('model name');
  if (!model) return undefined;
  const parts = [['family', field('cpu family')], ['model', field('model')], ['stepping', field('stepping')]].filter(([, v]) => v);
  return { model, signature: parts.map(([k, v]) => `${k} ${v}`).join(' ') };
}

/** The installed version of a pinned component (infra/versions.env). */
export function pinnedVersion(root: string, name: string): string {
  const versions = readFileSync(path.join(root, 'infra', 'versions.env'), 'utf8');
  return new RegExp(`^${name}=(.*)$`, 'm').exec(versions)?.[1]?.trim() ?? 'unknown';
}

export function describeMachine(root: string): Machine {
  const pinned = (name: string) => pinnedVersion(root, name);
  let cpuinfo: ReturnType<typeof cpuOfCpuinfo>;
  try {
    cpuinfo = cpuOfCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    cpuinfo = undefined;
  }
  return {
    cores: os.availableParallelism(),
    cpu: cpuinfo?.model ?? os.cpus()[0]?.model.trim() ?? 'unknown',
    cpu_signature: cpuinfo?.signature ?? '',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kafka: pinned('KAFKA_VERSION'),
    redis: pinned('REDIS_VERSION'),
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
