/**
 * Integration tests: one process (the stack is shared), real services. A run must end, pass or fail:
 * - each file has a wall-time budget and a leak check (harness/resources.ts): what a file leaves running
 *   is killed and fails that file;
 * - harness/budget-reporter.js bounds each file and the whole run from outside, and names the file that
 *   overran;
 * - forceExit: once the results are in, jest exits even if something slipped past both, instead of
 *   waiting for it (jest 30 would only warn after `openHandlesTimeout`). detectOpenHandles stays off: its
 *   async hooks slow every test down, and the leak check above names what stayed open and fails for it.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/harness/global-setup.ts',
  globalTeardown: '<rootDir>/harness/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60_000,
  forceExit: true,
  reporters: ['default', ['<rootDir>/harness/budget-reporter.js', { fileTimeoutS: 300, runTimeoutS: 1_800 }]],
};
