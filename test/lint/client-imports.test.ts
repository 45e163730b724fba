import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The boundary rule of eslint.config.mjs, proven on sources that exist only here: each client library may be
 * imported inside its adapter and nowhere else (services, bench, demo and these tests included).
 */
const ROOT = join(__dirname, '..', '..');

/** The no-restricted-imports messages ESLint gives `source` as if it were `file` (one ESLint run per call). */
async function restricted(source: string, file: string): Promise<string[]> {
  const out = execFileSync(process.execPath, [join(__dirname, 'lint-text.mjs'), ROOT], {
    input: JSON.stringify([{ source, filePath: join(ROOT, file) }]),
    encoding: 'utf8',
  });
  return (JSON.parse(out) as string[][])[0]!;
}

describe('a client library imported outside its adapter, or one adapter imported by another, fails lint', () => {
  it.each([
    ["import { Kafka } from 'kafkajs';", 'services/cli/src/x.ts', /only services\/kafka imports kafkajs/],
    ["import { Kafka } from 'kafkajs';", 'services/bench/src/x.ts', /only services\/kafka imports kafkajs/],
    ["import { Kafka } from 'kafkajs';", 'test/harness/x.ts', /only services\/kafka imports kafkajs/],
    ["import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';", 'services/demo/src/x.ts', /schema-registry client/],
    ["import Redis from 'ioredis';", 'services/keyring/src/engine-x.ts', /redis-store\.ts talks to Redis/],
    ["import Redis from 'ioredis';", 'services/kafka/src/x.ts', /redis-store\.ts talks to Redis/],
    ["import { KMSClient } from '@aws-sdk/client-kms';", 'services/keyring/src/redis-store.ts', /kms\.ts talks to KMS/],
    ["import { KMSClient } from '@aws-sdk/client-kms';", 'test/pipeline/x.test.ts', /kms\.ts talks to KMS/],
    ["import { KMSClient } from '@aws-sdk/client-kms';", 'services/kafka/src/client.ts', /kms\.ts talks to KMS/],
    ["import Redis from 'ioredis';", 'test/erasure/x.test.ts', /redis-store\.ts talks to Redis/],
    ["import { Producer } from '@platformatic/kafka';", 'services/kafka/src/x.ts', /only services\/kafka-platformatic imports @platformatic\/kafka/],
    ["import { Producer } from '@platformatic/kafka';", 'services/service-kit/src/x.ts', /only services\/kafka-platformatic imports @platformatic\/kafka/],
    ["import { Producer } from '@platformatic/kafka';", 'test/kafka-port/x.test.ts', /only services\/kafka-platformatic imports @platformatic\/kafka/],
    ["import { Kafka } from 'kafkajs';", 'services/kafka-platformatic/src/x.ts', /only services\/kafka imports kafkajs/],
    ["import { createMemoryKeyRing } from '@ampseal/keyring';", 'services/kafka-platformatic/src/x.ts', /platformatic adapter imports only/],
    // Adapters are peers: neither imports the other, nor the service kit.
    ["import { createMemoryKeyRing } from '@ampseal/keyring';", 'services/kafka/src/x.ts', /adapter imports only @ampseal\/core, @ampseal\/foundation and @ampseal\/schemas/],
    ["import { createKafka } from '@ampseal/kafka';", 'services/keyring/src/x.ts', /adapter imports only @ampseal\/core, @ampseal\/foundation and @ampseal\/schemas/],
    ["import { loadConfig } from '@ampseal/service-kit';", 'services/kafka/src/x.ts', /adapter imports only @ampseal\/core, @ampseal\/foundation and @ampseal\/schemas/],
  ])('%s in %s', async (source, file, message) => {
    const messages = await restricted(`${source}\nexport const used = [${/\{ (\w+) \}|import (\w+)/.exec(source)!.slice(1).find(Boolean)}];\n`, file);
    expect(messages).toEqual([expect.stringMatching(message)]);
  });
});

describe('inside its adapter the same import passes', () => {
  it.each([
    ["import { Kafka } from 'kafkajs';", 'services/kafka/src/x.ts'],
    ["import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';", 'services/kafka/src/x.ts'],
    ["import Redis from 'ioredis';", 'services/keyring/src/redis-store.ts'],
    ["import { KMSClient } from '@aws-sdk/client-kms';", 'services/keyring/src/kms.ts'],
    // MSK IAM signs its login token with the AWS credential chain, in that one Kafka file.
    ["import { defaultProvider } from '@aws-sdk/credential-provider-node';", 'services/kafka/src/msk-iam.ts'],
    ["import Redis from 'ioredis';", 'test/harness/clients.ts'],
    ["import { Producer } from '@platformatic/kafka';", 'services/kafka-platformatic/src/x.ts'],
    // The second Kafka adapter implements the port of @ampseal/kafka and shares its client-neutral rules.
    ["import { ChunkBudget } from '@ampseal/kafka';", 'services/kafka-platformatic/src/x.ts'],
    // The record's generated definition and codec are no adapter: every adapter may use them.
    ["import { avroTypeOf } from '@ampseal/schemas/codec';", 'services/kafka/src/x.ts'],
  ])('%s in %s', async (source, file) => {
    const name = /\{ (\w+) \}|import (\w+)/.exec(source)!.slice(1).find(Boolean);
    expect(await restricted(`${source}\nexport const used = [${name}];\n`, file)).toEqual([]);
  });

  it('a test may name the Redis type to inspect what the key ring stored', async () => {
    expect(await restricted("import type Redis from 'ioredis';\nexport type R = Redis;\n", 'test/keyring/x.test.ts')).toEqual([]);
  });
});
