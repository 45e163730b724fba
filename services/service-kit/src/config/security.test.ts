import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config';

// PEM-shaped files: the configuration checks the form only; the TLS handshake checks the content.
const dir = mkdtempSync(join(tmpdir(), 'ampseal-config-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const KEY = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
const ENCRYPTED_KEY = file('encrypted.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\n');
const PASSWORD = file('password', 's3cret-from-a-mount\n');
const EMPTY = file('empty', '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const invalid = (env: Record<string, string>, message: RegExp) => {
  expect(() => loadConfig(env)).toThrow(message);
  expect(() => loadConfig(env)).toThrow(expect.objectContaining({ code: 'AMPSEAL_ERR_CONFIG_INVALID' }));
};

describe('Kafka security is validated once at start', () => {
  it('refuses plaintext to a broker outside the loopback, before any connection', () => {
    invalid({ AMPSEAL_KAFKA_BROKERS: 'b-1.msk.example.com:9092' }, /AMPSEAL_KAFKA_SSL must be true for brokers outside the loopback/);
    invalid({ AMPSEAL_KAFKA_BROKERS: '127.0.0.1:9092,10.0.0.5:9092' }, /AMPSEAL_KAFKA_SSL must be true/);
  });

  it('allows plaintext to the loopback, and elsewhere only when told to', () => {
    expect(loadConfig({ AMPSEAL_KAFKA_BROKERS: 'localhost:9092,127.0.0.2:9092' }).kafkaSecurity).toEqual({});
    expect(loadConfig({ AMPSEAL_KAFKA_BROKERS: 'kafka:9092', AMPSEAL_KAFKA_ALLOW_PLAINTEXT: 'true' }).kafkaSecurity).toEqual({});
  });

  it('reads TLS with a CA bundle and a client certificate, and a SCRAM password from a secret file', () => {
    const config = loadConfig({
      AMPSEAL_KAFKA_BROKERS: 'b-1.kafka.example.com:9096',
      AMPSEAL_KAFKA_SSL: 'true',
      AMPSEAL_KAFKA_SSL_CA_FILE: CA,
      AMPSEAL_KAFKA_SSL_CERT_FILE: CA,
      AMPSEAL_KAFKA_SSL_KEY_FILE: KEY,
      AMPSEAL_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      AMPSEAL_KAFKA_SASL_USERNAME: 'ampseal-pseudonymizer',
      AMPSEAL_KAFKA_SASL_PASSWORD_FILE: PASSWORD,
    });
    expect(config.kafkaSecurity.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.kafkaSecurity.tls?.key).toContain('BEGIN PRIVATE KEY');
    expect(config.kafkaSecurity.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ampseal-pseudonymizer', password: 's3cret-from-a-mount' });
  });

  it('reads OAUTHBEARER from a token file or a command, and MSK IAM with its region', () => {
    const base = { AMPSEAL_KAFKA_BROKERS: 'broker.example.com:9093', AMPSEAL_KAFKA_SSL: 'true' };
    expect(loadConfig({ ...base, AMPSEAL_KAFKA_SASL_MECHANISM: 'oauthbearer', AMPSEAL_KAFKA_OAUTH_TOKEN_FILE: '/var/run/secrets/token' }).kafkaSecurity.sasl).toEqual({
      mechanism: 'oauthbearer',
      tokenFile: '/var/run/secrets/token',
    });
    expect(loadConfig({ ...base, AMPSEAL_KAFKA_SASL_MECHANISM: 'oauthbearer', AMPSEAL_KAFKA_OAUTH_TOKEN_COMMAND: 'cat /t' }).kafkaSecurity.sasl).toEqual({ mechanism: 'oauthbearer', tokenCommand: 'cat /t' });
    expect(loadConfig({ ...base, AMPSEAL_KAFKA_SASL_MECHANISM: 'aws-msk-iam', AMPSEAL_KAFKA_AWS_REGION: 'eu-west-1' }).kafkaSecurity.sasl).toEqual({ mechanism: 'aws-msk-iam', region: 'eu-west-1' });
  });

  it.each([
    [{ AMPSEAL_KAFKA_SSL_CA_FILE: CA }, /AMPSEAL_KAFKA_SSL must be true when AMPSEAL_KAFKA_SSL_CA_FILE is set/],
    [{ AMPSEAL_KAFKA_SSL: 'true', AMPSEAL_KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /AMPSEAL_KAFKA_SSL_CA_FILE must be a readable file \(ENOENT\)/],
    [{ AMPSEAL_KAFKA_SSL: 'true', AMPSEAL_KAFKA_SSL_CA_FILE: KEY }, /AMPSEAL_KAFKA_SSL_CA_FILE must be a PEM file of certificates/],
    [{ AMPSEAL_KAFKA_SSL: 'true', AMPSEAL_KAFKA_SSL_CERT_FILE: CA }, /AMPSEAL_KAFKA_SSL_KEY_FILE must be set together with its pair/],
    [{ AMPSEAL_KAFKA_SSL: 'true', AMPSEAL_KAFKA_SSL_CERT_FILE: CA, AMPSEAL_KAFKA_SSL_KEY_FILE: ENCRYPTED_KEY }, /AMPSEAL_KAFKA_SSL_KEY_FILE must be a PEM file holding an unencrypted private key/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'gssapi' }, /AMPSEAL_KAFKA_SASL_MECHANISM must be one of none, plain, scram-sha-256, scram-sha-512, oauthbearer, aws-msk-iam/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'plain', AMPSEAL_KAFKA_SASL_PASSWORD: 'x' }, /AMPSEAL_KAFKA_SASL_USERNAME must be set with AMPSEAL_KAFKA_SASL_MECHANISM=plain/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'scram-sha-256', AMPSEAL_KAFKA_SASL_USERNAME: 'u' }, /AMPSEAL_KAFKA_SASL_PASSWORD must be set \(or AMPSEAL_KAFKA_SASL_PASSWORD_FILE\)/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'plain', AMPSEAL_KAFKA_SASL_USERNAME: 'u', AMPSEAL_KAFKA_SASL_PASSWORD: 'x', AMPSEAL_KAFKA_SASL_PASSWORD_FILE: PASSWORD }, /set either AMPSEAL_KAFKA_SASL_PASSWORD or AMPSEAL_KAFKA_SASL_PASSWORD_FILE, not both/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'plain', AMPSEAL_KAFKA_SASL_USERNAME: 'u', AMPSEAL_KAFKA_SASL_PASSWORD_FILE: EMPTY }, /AMPSEAL_KAFKA_SASL_PASSWORD_FILE must be a file holding the secret \(it is empty\)/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'oauthbearer' }, /AMPSEAL_KAFKA_OAUTH_TOKEN_FILE must be set, or AMPSEAL_KAFKA_OAUTH_TOKEN_COMMAND instead/],
    [{ AMPSEAL_KAFKA_SSL: 'true', AMPSEAL_KAFKA_SASL_MECHANISM: 'aws-msk-iam' }, /AMPSEAL_KAFKA_AWS_REGION must be the MSK cluster's AWS region/],
    [{ AMPSEAL_KAFKA_SASL_MECHANISM: 'aws-msk-iam', AMPSEAL_KAFKA_AWS_REGION: 'eu-west-1' }, /AMPSEAL_KAFKA_SSL must be true with AMPSEAL_KAFKA_SASL_MECHANISM=aws-msk-iam/],
  ])('stops on an incomplete or wrong security setting (%#) with a message naming the variable', (env, message) => {
    invalid(env as Record<string, string>, message);
  });

  it('never puts a secret in its message', () => {
    expect(() => loadConfig({ AMPSEAL_KAFKA_SASL_MECHANISM: 'plain', AMPSEAL_KAFKA_SASL_USERNAME: 'u', AMPSEAL_KAFKA_SASL_PASSWORD: 'hunter2', AMPSEAL_KAFKA_SASL_PASSWORD_FILE: PASSWORD })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('registry, Redis and KMS connections are validated once at start', () => {
  it('takes registry basic auth or a bearer token (from files too), and its CA only over https', () => {
    const basic = loadConfig({ AMPSEAL_SCHEMA_REGISTRY_URL: 'https://psrc.example.com', AMPSEAL_SCHEMA_REGISTRY_USERNAME: 'key', AMPSEAL_SCHEMA_REGISTRY_PASSWORD_FILE: PASSWORD, AMPSEAL_SCHEMA_REGISTRY_CA_FILE: CA });
    expect(basic.schemaRegistry.auth).toEqual({ username: 'key', password: 's3cret-from-a-mount' });
    expect(basic.schemaRegistry.ca).toContain('BEGIN CERTIFICATE');
    expect(loadConfig({ AMPSEAL_SCHEMA_REGISTRY_URL: 'https://r.example.com', AMPSEAL_SCHEMA_REGISTRY_TOKEN: 'tkn' }).schemaRegistry.auth).toEqual({ token: 'tkn' });
    invalid({ AMPSEAL_SCHEMA_REGISTRY_URL: 'http://registry:8081' }, /AMPSEAL_SCHEMA_REGISTRY_URL must be an https URL outside the loopback/);
    expect(loadConfig({ AMPSEAL_SCHEMA_REGISTRY_URL: 'http://registry:8081', AMPSEAL_SCHEMA_REGISTRY_ALLOW_PLAINTEXT: 'true' }).schemaRegistry.url).toBe('http://registry:8081');
    invalid({ AMPSEAL_SCHEMA_REGISTRY_CA_FILE: CA }, /AMPSEAL_SCHEMA_REGISTRY_URL must be an https URL when AMPSEAL_SCHEMA_REGISTRY_CA_FILE is set/);
    invalid({ AMPSEAL_SCHEMA_REGISTRY_TOKEN: 't', AMPSEAL_SCHEMA_REGISTRY_USERNAME: 'u' }, /AMPSEAL_SCHEMA_REGISTRY_TOKEN must be set alone/);
    invalid({ AMPSEAL_SCHEMA_REGISTRY_USERNAME: 'u' }, /AMPSEAL_SCHEMA_REGISTRY_PASSWORD must be set together with its pair/);
  });

  it('requires rediss:// outside the loopback unless allowed, and reads Redis AUTH from a file', () => {
    invalid({ AMPSEAL_REDIS_URL: 'redis://redis.internal:6379' }, /AMPSEAL_REDIS_URL must be a rediss:\/\/ URL outside the loopback/);
    expect(loadConfig({ AMPSEAL_REDIS_URL: 'redis://redis:6379', AMPSEAL_REDIS_ALLOW_PLAINTEXT: 'true' }).redisUrl).toBe('redis://redis:6379');
    const config = loadConfig({ AMPSEAL_REDIS_URL: 'rediss://redis.internal:6380', AMPSEAL_REDIS_USERNAME: 'ampseal', AMPSEAL_REDIS_PASSWORD_FILE: PASSWORD, AMPSEAL_REDIS_CA_FILE: CA });
    expect([config.redisUsername, config.redisPassword, config.redisCa?.includes('BEGIN CERTIFICATE')]).toEqual(['ampseal', 's3cret-from-a-mount', true]);
    invalid({ AMPSEAL_REDIS_USERNAME: 'ampseal' }, /AMPSEAL_REDIS_PASSWORD must be set \(or AMPSEAL_REDIS_PASSWORD_FILE\) with AMPSEAL_REDIS_USERNAME/);
    invalid({ AMPSEAL_REDIS_URL: 'redis://:p@127.0.0.1:6379', AMPSEAL_REDIS_PASSWORD: 'q' }, /AMPSEAL_REDIS_PASSWORD must be unset when AMPSEAL_REDIS_URL carries a password/);
    invalid({ AMPSEAL_REDIS_CA_FILE: CA }, /AMPSEAL_REDIS_URL must be a rediss:\/\/ URL when AMPSEAL_REDIS_CA_FILE is set/);
  });

  it('takes a plain-http KMS endpoint only when it is declared an emulator', () => {
    invalid({ AMPSEAL_KMS_ENDPOINT: 'http://127.0.0.1:4599' }, /AMPSEAL_KMS_ENDPOINT must be an https URL \(or AMPSEAL_KMS_EMULATOR=true for local-kms\)/);
    expect(loadConfig({ AMPSEAL_KMS_ENDPOINT: 'http://127.0.0.1:4599', AMPSEAL_KMS_EMULATOR: 'true' }).kmsEmulator).toBe(true);
    expect(loadConfig({ AMPSEAL_KMS_ENDPOINT: 'https://kms.eu-central-1.amazonaws.com' }).kmsEmulator).toBe(false);
  });
});
