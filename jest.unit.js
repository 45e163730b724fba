/**
 * The one jest configuration of every unit-test workspace under services/ (each workspace's jest.config.js is this):
 * fast tests, no services, TypeScript through swc.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // A run must end: jest exits once the results are in, and the shared reporter bounds each file and the
  // whole run, naming the file that overran (see test/harness/budget-reporter.js).
  forceExit: true,
  reporters: ['default', ['<rootDir>/../../test/harness/budget-reporter.js', { fileTimeoutS: 180, runTimeoutS: 900 }]],
};
