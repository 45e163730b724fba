// Lint for every workspace. The rule that matters most: the pure core imports no I/O library
// (style rule 1), and only one module each imports kafkajs, ioredis and the KMS client (rule 13).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_LIBRARIES = ['kafkajs', 'ioredis', '@aws-sdk/*', '@kafkajs/*', 'http', 'https', 'net', 'node:http', 'node:https', 'node:net', 'pino', 'prom-client'];

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
  {
    files: ['services/**/*.ts'],
    ignores: ['services/keyring/src/redis-store.ts', 'services/kafka/src/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'ioredis', message: 'only keyring/src/redis-store.ts talks to Redis' }, { name: 'kafkajs', message: 'only the kafka adapter imports kafkajs' }] }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'services/*/src/bin/**/*.ts', 'services/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
