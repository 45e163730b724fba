import { createRequire } from 'node:module';

/**
 * The kafkajs release whose internals the Kafka edge reaches into (high-watermark.ts, aborted-transactions.ts):
 * kafkajs has had no release since 2.2.4, and each use checks this pin so that an upgrade fails loudly instead of
 * silently losing a correction.
 */
export const KAFKAJS_VERSION = '2.2.4';

let installed: string | undefined;
export function installedKafkajsVersion(): string {
  installed ??= (createRequire(__filename)('kafkajs/package.json') as { version: string }).version;
  return installed;
}
