import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ignoreKafkajsNegativeTimeout } from '@ampseal/kafka';
import { ENDPOINT_VARIABLES } from './endpoints';
import { dockerAnswers, startContainers } from './containers';

const ROOT = join(__dirname, '..', '..');

/**
 * The one place that decides where the real services come from, in this order:
 * 1. AMPSEAL_* variables already set (an existing Kafka/registry/Redis/KMS);
 * 2. testcontainers, when a Docker engine answers;
 * 3. the native stack (infra/stack.sh), started if needed and reused if already up.
 */
export default async function globalSetup(): Promise<void> {
  // The test files run in this process (maxWorkers 1), and jest gives each its own `process` object: the filter the
  // Kafka adapter installs there never sees Node's own warnings, so it is installed on the real one here.
  ignoreKafkajsNegativeTimeout();
  await findStack();
  // Every test stack's KMS is local-kms, which the services accept over plain http only when told it is an emulator
  // (a stack started before `infra/stack.sh env` printed the flag does not set it).
  if (process.env.AMPSEAL_KMS_ENDPOINT?.startsWith('http:')) process.env.AMPSEAL_KMS_EMULATOR ??= 'true';
}

async function findStack(): Promise<void> {
  if (ENDPOINT_VARIABLES.every((name) => process.env[name])) {
    process.stderr.write('\n[harness] using endpoints from the environment\n');
    return;
  }
  if (process.env.AMPSEAL_TEST_STACK !== 'native' && (await dockerAnswers())) {
    process.stderr.write('\n[harness] Docker engine found: starting the stack with testcontainers\n');
    const stack = await startContainers();
    Object.assign(process.env, stack.env);
    (globalThis as { __ampsealStop?: () => Promise<void> }).__ampsealStop = stack.stop;
    return;
  }
  process.stderr.write('\n[harness] no Docker engine: starting the native stack (infra/stack.sh up)\n');
  const run = spawnSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'up'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    // First start downloads and starts Kafka, the registry, Redis and local-kms; never wait for ever.
    timeout: 15 * 60_000,
    killSignal: 'SIGKILL',
  });
  if (run.status !== 0) throw new Error(`infra/stack.sh up failed with exit code ${run.status}${run.signal ? ` (${run.signal}: over 15 min)` : ''}`);
  for (const line of run.stdout.split('\n')) {
    const m = /^(AMPSEAL_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
}
