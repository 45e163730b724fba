#!/usr/bin/env node
// Sums the JSON results every workspace's jest writes to jest-results.json and prints the one line CI
// reads: `tests: N passed, N failed`. Exits non-zero when a test failed, a suite failed to run, or no
// test ran at all. Names the files a workspace's run stopped on for overrunning its time bound
// (test/harness/budget-reporter.js), so a CI log says which file to look at.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = [join(root, 'test'), join(root, 'schemas'), ...readdirSync(join(root, 'services')).map((d) => join(root, 'services', d))];
let passed = 0;
let failed = 0;
let brokenSuites = 0;
const overran = [];
for (const ws of workspaces) {
  const file = join(ws, 'jest-results.json');
  if (!existsSync(join(ws, 'package.json'))) continue;
  if (!existsSync(file)) {
    // A workspace whose jest wrote no results (it crashed, or could not serialize them) counts as broken.
    process.stdout.write(`no jest results from ${ws.slice(root.length + 1)}\n`);
    brokenSuites++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  brokenSuites += r.numRuntimeErrorTestSuites ?? 0;
  const rel = ws.slice(root.length + 1);
  for (const file of r.ampsealOverran ?? []) overran.push(`${rel}/${file}`);
  if (r.ampsealOverrunReason && (r.ampsealOverran ?? []).length === 0) overran.push(`${rel} (${r.ampsealOverrunReason})`);
}
for (const file of overran) process.stdout.write(`overran its time bound: ${file}\n`);
if (brokenSuites > 0) process.stdout.write(`${brokenSuites} test suite(s) failed to run\n`);
process.stdout.write(`tests: ${passed} passed, ${failed + brokenSuites} failed\n`);
process.exit(failed > 0 || brokenSuites > 0 || passed === 0 ? 1 : 0);
