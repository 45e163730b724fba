#!/usr/bin/env node
// Lets `npm test` / `npm run demo` work on a fresh clone: runs on Node.js 24 (fetching the pinned release when the
// machine's Node.js is older, infra/ensure-node.mjs), installs the workspace dependencies when node_modules is
// missing or older than the lockfile, then runs the command it was given with that Node.js first on PATH, so the
// command and everything it starts (turbo, npm, jest, the services) run on it. Only node built-ins here: nothing
// is installed yet.
//
//   node infra/ensure-deps.mjs 'turbo run build && node services/demo/dist/main.js' [extra args…]
//
// The command is one shell string (so `&&` chains stay inside it); extra arguments (`npm run demo -- --x`) are
// quoted and appended.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinForPath } from './ensure-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

let env = process.env;
try {
  const bin = nodeBinForPath();
  if (bin) {
    process.stderr.write(`ampseal: Node.js ${process.version} is older than the supported 24 LTS: running on ${join(bin, 'node')}\n`);
    env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
  }
} catch (err) {
  process.stderr.write(`ampseal: ${err.message}\n`);
  process.exit(1);
}

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  process.stderr.write('ampseal: installing dependencies (npm ci)…\n');
  execSync('npm ci', { cwd: root, stdio: 'inherit', env });
}

const [command, ...extra] = process.argv.slice(2);
if (command !== undefined) {
  const quoted = extra.map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  const result = spawnSync([command, ...quoted].join(' '), { stdio: 'inherit', env, shell: true });
  if (result.error) {
    process.stderr.write(`ampseal: ${result.error.message}\n`);
    process.exit(1);
  }
  // A command killed by a signal exits like a shell reports it (128 + n), so `timeout` and CI see the kill.
  process.exit(result.status ?? 128 + (constants.signals[result.signal] ?? 15));
}
