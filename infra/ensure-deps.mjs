#!/usr/bin/env node
// Lets `npm test` / `npm run demo` work on a fresh clone: installs the workspace dependencies when
// node_modules is missing or older than the lockfile. Only node built-ins here: nothing is installed yet.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  process.stderr.write('ampseal: installing dependencies (npm ci)…\n');
  execSync('npm ci', { cwd: root, stdio: 'inherit' });
}
