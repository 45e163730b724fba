/** Unit tests of the benchmark's pure parts (statistics, targets, table, --compare); the benchmark itself is `npm run bench`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};
