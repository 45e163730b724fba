// Lint for every workspace. The rule that matters most: the pure core imports no I/O library
// (style rule 1), and only one module each imports kafkajs, ioredis and the KMS client (rule 13).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_LIBRARIES = ['kafkajs', '@platformatic/kafka', 'ioredis', '@aws-sdk/*', '@kafkajs/*', 'http', 'https', 'net', 'node:http', 'node:https', 'node:net', 'pino', 'prom-client'];

/** The client libraries and the one adapter file (or workspace) each may be imported from. */
export const CLIENT_PATHS = [
  { name: 'kafkajs', message: 'only services/kafka imports kafkajs: use the @ampseal/kafka port' },
  { name: 'ioredis', message: 'only services/keyring/src/redis-store.ts talks to Redis' },
  { name: '@platformatic/kafka', message: 'only services/kafka-platformatic imports @platformatic/kafka: use the @ampseal/kafka-platformatic port' },
];
export const CLIENT_PATTERNS = [
  { group: ['@kafkajs/*'], message: 'only services/kafka imports the schema-registry client: use the @ampseal/kafka port' },
  { group: ['@aws-sdk/*'], message: 'only services/keyring/src/kms.ts talks to KMS' },
];
/**
 * Adapters are peers: an adapter imports core, foundation and schemas (the record's generated definition and codec,
 * no I/O), never another adapter or the service kit.
 */
const ADAPTER_PEERS = {
  group: ['@ampseal/*', '!@ampseal/core', '!@ampseal/foundation', '!@ampseal/schemas', '!@ampseal/schemas/*'],
  message: 'an adapter imports only @ampseal/core, @ampseal/foundation and @ampseal/schemas',
};
function without(list, name) {
  return list.filter((entry) => (entry.name ?? entry.group[0]) !== name);
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/reports/**', '.stack/**', 'bench/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['services/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: IO_LIBRARIES, message: 'the core is pure: I/O belongs in an adapter' }] }],
    },
  },
  // Each client library only inside its adapter (style rule 13); everything else, bench, demo and the test
  // harness included, goes through the adapter's port. Later blocks lift one library for its own files.
  {
    files: ['services/**/*.ts', 'test/**/*.ts'],
    ignores: ['services/core/src/**'],
    rules: { 'no-restricted-imports': ['error', { paths: CLIENT_PATHS, patterns: CLIENT_PATTERNS }] },
  },
  {
    files: ['services/keyring/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: CLIENT_PATHS, patterns: [...CLIENT_PATTERNS, ADAPTER_PEERS] }] },
  },
  {
    files: ['services/kafka/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: without(CLIENT_PATHS, 'kafkajs'), patterns: [...without(CLIENT_PATTERNS, '@kafkajs/*'), ADAPTER_PEERS] }] },
  },
  // The second adapter of the Kafka port: the only importer of @platformatic/kafka. It shares the port's client-neutral
  // rules (chunk budget, failure policy table, produce-request sizing, diagnostics events) from @ampseal/kafka, whose
  // port it implements; @ampseal/kafka never imports it.
  {
    files: ['services/kafka-platformatic/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: without(CLIENT_PATHS, '@platformatic/kafka'),
          patterns: [...CLIENT_PATTERNS, { ...ADAPTER_PEERS, group: [...ADAPTER_PEERS.group, '!@ampseal/kafka'], message: 'the platformatic adapter imports only @ampseal/core, @ampseal/foundation, @ampseal/schemas and the port (@ampseal/kafka)' }],
        },
      ],
    },
  },
  // MSK IAM signs its login token with the AWS SDK's credential chain: that one Kafka file may name it.
  {
    files: ['services/kafka/src/msk-iam.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: without(CLIENT_PATHS, 'kafkajs'), patterns: [...without(without(CLIENT_PATTERNS, '@kafkajs/*'), '@aws-sdk/*'), ADAPTER_PEERS] }] },
  },
  {
    files: ['services/keyring/src/redis-store.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: without(CLIENT_PATHS, 'ioredis'), patterns: [...CLIENT_PATTERNS, ADAPTER_PEERS] }] },
  },
  {
    files: ['services/keyring/src/kms.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: CLIENT_PATHS, patterns: [...without(CLIENT_PATTERNS, '@aws-sdk/*'), ADAPTER_PEERS] }] },
  },
  // The tests inspect what the key ring stored: Redis and KMS clients are opened in one harness module, and
  // other test files may name the Redis type only.
  {
    files: ['test/harness/clients.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: without(CLIENT_PATHS, 'ioredis'), patterns: without(CLIENT_PATTERNS, '@aws-sdk/*') }] },
  },
  {
    files: ['test/**/*.ts'],
    ignores: ['test/harness/clients.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...without(CLIENT_PATHS, 'ioredis'), { ...CLIENT_PATHS.find((p) => p.name === 'ioredis'), allowTypeImports: true }], patterns: CLIENT_PATTERNS },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'services/*/src/bin/**/*.ts', 'services/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
