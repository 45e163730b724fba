import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const PACKAGES = ['confluent-kafka[avro]==2.16.1'];

/**
 * Installs (once, cached) Confluent's Python client as an independent Avro reader. Debian's kcat is built
 * without libserdes, so its `-s avro` deserializer is not available from the registries this project uses.
 * Both children run synchronously with a timeout and SIGKILL: neither can outlive the call, so there is
 * nothing to register for clean-up.
 */
export function pythonReader(): { run(args: string[]): string } {
  const dir = join(process.env.AMPSEAL_CACHE_DIR ?? join(homedir(), '.cache', 'ampseal'), 'python-reader');
  if (!existsSync(join(dir, 'confluent_kafka'))) {
    execFileSync('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--root-user-action=ignore', '--target', dir, ...PACKAGES], { stdio: 'inherit', timeout: 300_000, killSignal: 'SIGKILL' });
  }
  const script = join(__dirname, '..', 'tools', 'avro_reader.py');
  return {
    run: (args) => {
      try {
        return execFileSync('python3', [script, ...args], { env: { ...process.env, PYTHONPATH: dir }, encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
      } catch (err) {
        // A plain error: the child-process error holds circular references jest's JSON reporter cannot write.
        const e = err as { message?: string; stderr?: string; stdout?: string };
        throw new Error(`independent reader failed: ${e.message ?? 'error'}\nstdout: ${e.stdout ?? ''}\nstderr: ${e.stderr ?? ''}`);
      }
    },
  };
}
