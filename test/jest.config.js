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
const project = { testEnvironment: 'node', roots: ['<rootDir>'], transform: { '^.+\\.ts$': ['@swc/jest'] } };

/**
 * The pipeline's integration tests, the fault matrix, and the erasure tests whose shredder and CLI read and write
 * through every part of the port (requests, receipts, the journal's exact reads, the status index), run a second
 * time with the services and the CLI on the other adapter of the Kafka port (@platformatic/kafka; kafkajs is the
 * default and runs everything). Not here: the tests of one
 * client's own settings (authenticated-listener: kafkajs' SASL/TLS; platformatic's are in kafka-port/), the ones
 * without a Kafka client in the pipeline (registry-auth, schema-evolution), and handler-threads, whose partitions
 * handled at once the platformatic adapter refuses.
 */
const ON_BOTH_CLIENTS = [
  'pipeline/{at-least-once,crash,end-to-end,epochs,fail-closed,failure-policy,independent-reader,roaming,transaction-budget}.test.ts',
  'faults/*.test.ts',
  'erasure/{epochs,eviction,restore,shredder}.test.ts',
];

module.exports = {
  projects: [
    // Everything, on the default client.
    { ...project, displayName: 'kafkajs', testMatch: ['**/*.test.ts'] },
    {
      ...project,
      displayName: 'platformatic',
      testMatch: ON_BOTH_CLIENTS.map((glob) => `<rootDir>/${glob}`),
      setupFiles: ['<rootDir>/harness/on-platformatic.ts'],
    },
  ],
  globalSetup: '<rootDir>/harness/global-setup.ts',
  globalTeardown: '<rootDir>/harness/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60_000,
  forceExit: true,
  reporters: ['default', ['<rootDir>/harness/budget-reporter.js', { fileTimeoutS: 300, runTimeoutS: 1_800 }]],
};
