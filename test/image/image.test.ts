import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraffic } from '@ampseal/traffic';
import { exitOf, spawnProcess } from '../harness/processes';
import { useResources } from '../harness/resources';

/**
 * The container image (Containerfile, infra/image/build.sh) run with buildah, as CI does after `npm run image`:
 * AMPSEAL_IMAGE names the built image (`.ci/run` sets it). Without it the file is skipped: building an image
 * takes minutes and root, which a developer's `npm test` should not need.
 */
const IMAGE = process.env.AMPSEAL_IMAGE;
const imageTests = IMAGE ? describe : describe.skip;
const resources = useResources({ budgetMs: 120_000 });
const USER = '10001:10001';
const CLI_VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'services', 'cli', 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command to completion, registered for clean-up (SIGKILL after 60 s: nothing here takes more than a few). */
async function run(command: string, args: readonly string[], input?: string): Promise<Run> {
  const child = spawnProcess(command, command, args, {
    env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  if (input !== undefined) child.stdin!.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const { code } = await exitOf(child).finally(() => clearTimeout(timer));
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

async function ok(command: string, args: readonly string[]): Promise<string> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args[0]} exited ${r.code}: ${r.stderr.slice(-2_000)}`);
  return r.stdout;
}

imageTests('the container image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-image-'));
  // The sample is read by user 10001 inside the container: the directory and file must be readable by others.
  chmodSync(dir, 0o755);
  const records = createTraffic({ seed: 13, stations: 10, cards: 60, malformedRate: 0.02 }).take(600);
  const input = join(dir, 'sample.ndjson');
  writeFileSync(input, records.map((r) => r.value).join('\n') + '\n', { mode: 0o644 });
  const identifiers = [...new Set(records.flatMap((r) => (r.kind === 'valid' ? (r.subjects ?? []).map((s) => s.raw) : [])))].filter((v) => v.length >= 8);
  const malformed = records.filter((r) => r.kind === 'malformed').length;
  let container = '';

  beforeAll(async () => {
    container = (await ok('buildah', ['from', '--quiet', IMAGE!])).trim();
    resources.add('buildah container', container, (c) => ok('buildah', ['rm', c]));
  });

  it('runs as the numeric non-root user, with ampseal as the entrypoint and OCI labels naming the version and source', async () => {
    const config = JSON.parse(await ok('buildah', ['inspect', '--type', 'image', IMAGE!])).OCIv1.config;
    expect(config.User).toBe(USER);
    expect(config.Entrypoint).toEqual(['/usr/local/bin/ampseal']);
    expect(config.Labels['org.opencontainers.image.version']).toBe(CLI_VERSION);
    expect(config.Labels['org.opencontainers.image.source']).toEqual(expect.any(String));
    expect(config.Labels['org.opencontainers.image.revision']).toEqual(expect.any(String));
    const ids = await ok('buildah', ['run', container, '--', 'node', '-p', 'process.getuid() + ":" + process.getgid() + " " + process.versions.node']);
    expect(ids.trim()).toMatch(new RegExp(`^${USER} 24\\.`));
  });

  it('answers ampseal --version with the release', async () => {
    expect(await ok('buildah', ['run', container, '--', 'ampseal', '--version'])).toBe(`ampseal ${CLI_VERSION}\n`);
  });

  it('pseudonymizes a sample in file mode as user 10001: records out, bad lines counted, no identifier in the output', async () => {
    const r = await run('buildah', ['run', '--volume', `${dir}:/data:ro`, container, '--', 'ampseal', 'pseudonymize', '--audience', 'analytics', '--in', '/data/sample.ndjson']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(100);
    expect(r.stderr).toMatch(new RegExp(`read 600, written ${lines.length}, skipped \\d+, quarantined ${malformed}\\b`));
    for (const id of identifiers) expect(r.stdout.includes(id) || r.stderr.includes(id)).toBe(false);
  });

  it('runs on a read-only root filesystem (the pod securityContext readOnlyRootFilesystem)', async () => {
    // buildah run has no read-only switch, so this does what a runtime does: the image's root mounted read-only
    // in a private mount namespace, the sample bound onto /tmp, and chroot as user 10001.
    const root = (await ok('buildah', ['mount', container])).trim();
    const mountPoint = mkdtempSync(join(tmpdir(), 'ampseal-image-root-'));
    resources.add('buildah mount', container, (c) => ok('buildah', ['umount', c]));
    // No shell or /usr/bin/env in the image: chroot starts the launcher itself, with an environment of our making.
    const inImage = `env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production /usr/sbin/chroot --userspec=${USER} "$ro"`;
    const script = [
      'set -e',
      `ro="${mountPoint}"`,
      `mount --bind "${root}" "$ro"`,
      'mount -o remount,bind,ro "$ro"',
      `mount --bind "${dir}" "$ro/tmp"`,
      `${inImage} /usr/local/bin/ampseal pseudonymize --audience analytics --in /tmp/sample.ndjson`,
      `${inImage} /usr/local/bin/node -e "try { require('fs').writeFileSync('/app/x', '') } catch (e) { console.error('write: ' + e.code) }"`,
    ];
    const r = await run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script.join('\n')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(100);
    expect(r.stderr).toContain('write: EROFS');
    for (const id of identifiers) expect(r.stdout.includes(id)).toBe(false);
  });
});
