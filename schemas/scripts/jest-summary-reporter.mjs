// A node:test reporter that writes jest's summary fields to jest-results.json, so infra/count-tests.mjs counts the
// generator's tests like every other workspace's (CI prints one `tests: N passed, N failed` line for all).
import { writeFileSync } from 'node:fs';

export default async function* jestSummary(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    const leaf = event.data?.details?.type !== 'suite';
    if (event.type === 'test:pass' && leaf) passed++;
    if (event.type === 'test:fail' && leaf) failed++;
  }
  writeFileSync('jest-results.json', JSON.stringify({ numPassedTests: passed, numFailedTests: failed, numRuntimeErrorTestSuites: 0 }));
  yield `schemas: ${passed} passed, ${failed} failed\n`;
}
