#!/usr/bin/env node
// The container image's build stage calls this to lay out /app: the workspaces the `ampseal` CLI needs (its
// workspace dependencies, followed transitively), each with its package.json and what its "files" field lists,
// plus the production node_modules that `npm ci --omit=dev --workspace @ampseal/cli` installed in the deps stage.
// Sources, tests, type declarations and source maps stay out. The layout mirrors the repository, so the
// workspace links in node_modules (@ampseal/core -> ../../services/core) and the paths the code derives from
// __dirname (schemas/, services/core/policies/) hold unchanged.
//
//   node infra/image/stage.mjs SRC DEPS OUT
//     SRC   the built repository (dist/ present)      DEPS  the production install
//     OUT   receives app/ (→ /app) and bin/ampseal (→ /usr/local/bin/ampseal)
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [src, deps, out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: node infra/image/stage.mjs SRC DEPS OUT\n');
  process.exit(2);
}
const ENTRY = '@ampseal/cli';
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Workspace name → directory (relative to the root), from the root package.json's "workspaces" globs. */
function workspaces(root) {
  const dirs = [];
  for (const pattern of readJson(join(root, 'package.json')).workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const name of readdirSync(join(root, parent))) dirs.push(`${parent}/${name}`);
    } else dirs.push(pattern);
  }
  const byName = new Map();
  for (const dir of dirs) {
    if (existsSync(join(root, dir, 'package.json'))) byName.set(readJson(join(root, dir, 'package.json')).name, dir);
  }
  return byName;
}

/** The entry workspace and every workspace it depends on at run time (dependencies, not devDependencies). */
function closure(byName) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !byName.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(readJson(join(src, byName.get(name), 'package.json')).dependencies ?? {})) visit(dep);
  };
  visit(ENTRY);
  return [...seen].map((name) => byName.get(name)).sort();
}

const app = join(out, 'app');
const shipped = (path) => !/\.d\.ts$|\.d\.ts\.map$|\.js\.map$|\.tsbuildinfo$/.test(path);
const byName = workspaces(src);
const needed = closure(byName);

for (const dir of needed) {
  const pkg = readJson(join(src, dir, 'package.json'));
  mkdirSync(join(app, dir), { recursive: true });
  cpSync(join(src, dir, 'package.json'), join(app, dir, 'package.json'));
  for (const entry of pkg.files ?? []) {
    const from = join(src, dir, entry);
    if (!existsSync(from)) throw new Error(`${dir}: "files" lists ${entry}, which the build did not produce`);
    cpSync(from, join(app, dir, entry), { recursive: true, filter: shipped });
  }
  // Packages npm could not hoist (another version at the root) live in the workspace's own node_modules.
  if (existsSync(join(deps, dir, 'node_modules'))) {
    cpSync(join(deps, dir, 'node_modules'), join(app, dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
}

// The production install's links point at every workspace the entry needs, and only at those: a dangling link
// would mean the layout above missed one.
cpSync(join(deps, 'node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
for (const link of readdirSync(join(app, 'node_modules', '@ampseal'))) {
  if (!existsSync(join(app, 'node_modules', '@ampseal', link))) throw new Error(`node_modules/@ampseal/${link} points at a workspace not staged`);
}
rmSync(join(app, 'node_modules', '.package-lock.json'), { force: true });

const cli = readJson(join(src, byName.get(ENTRY), 'package.json'));
const root = readJson(join(src, 'package.json'));
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: root.name, version: cli.version, private: true, license: root.license, description: root.description }, null, 2)}\n`,
);

// No /usr/bin/env in the runtime base (no shell, no coreutils), so the command on PATH names node itself.
mkdirSync(join(out, 'bin'), { recursive: true });
const launcher = join(out, 'bin', 'ampseal');
writeFileSync(launcher, `#!/usr/local/bin/node\n'use strict';\nrequire('/app/${byName.get(ENTRY)}/bin/ampseal.js');\n`);
chmodSync(launcher, 0o755);

const size = (p) => (lstatSync(p).isDirectory() ? readdirSync(p).reduce((n, e) => n + size(join(p, e)), 0) : lstatSync(p).size);
process.stdout.write(`staged ${needed.length} workspaces (${needed.join(', ')}), ${(size(app) / 2 ** 20).toFixed(1)} MiB\n`);
