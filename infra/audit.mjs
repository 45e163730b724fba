#!/usr/bin/env node
// CI's dependency audit: the production dependencies (what the image ships; test, bench and build tools are
// devDependencies) against the npm registry's advisory database, failing on a high or critical advisory.
//
// The advisory database is only reachable through the registry's audit endpoint (a POST). Where a proxy refuses
// it (this project's machines answer 405) there is no other source to scan against: the OSV database and its
// offline copies are downloaded from hosts outside the package registries. Then this says so, loudly, and does
// not fail: a missing endpoint is not a finding. Run by hand: node infra/audit.mjs
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FAILING = new Set(['high', 'critical']);

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}

if (!report || report.error || !report.metadata) {
  const why = report?.error?.summary || report?.message || (run.stderr.split('\n').find((l) => /audit|\d{3}/.test(l)) || 'no report').trim();
  process.stdout.write(
    `audit: NOT CHECKED: the registry's advisory endpoint did not answer (${why}); production dependencies were not ` +
      'compared with any advisory database on this machine\n',
  );
  process.exit(0);
}

const counts = report.metadata.vulnerabilities ?? {};
const failing = Object.values(report.vulnerabilities ?? {}).filter((v) => FAILING.has(v.severity));
for (const v of failing) {
  const via = v.via.map((x) => (typeof x === 'string' ? x : `${x.title} (${x.url})`)).join('; ');
  process.stdout.write(`audit: ${v.severity}: ${v.name} ${v.range}: ${via}${v.fixAvailable ? ' [fix available]' : ''}\n`);
}
process.stdout.write(
  `audit: production dependencies: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low\n`,
);
process.exit(failing.length > 0 ? 1 : 0);
