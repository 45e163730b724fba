import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaSecurity } from '@ampseal/kafka';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { TestCluster, unsignedTokenFile } from '../harness/cluster';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { exitOf, runAmpseal, spawnService } from '../harness/processes';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

/**
 * The pipeline and an erasure through Kafka's authenticated listener (SASL_SSL: TLS with the launcher's own CA,
 * SCRAM-SHA-512; also SCRAM-SHA-256, PLAIN, OAUTHBEARER and mTLS logins), on a private single node the launcher starts in a temporary directory: the shared stack is
 * not touched. Registry, Redis and KMS are the shared stack's.
 */
const BUDGET_MS = 300_000;
const resources = useResources({ budgetMs: BUDGET_MS });
jest.setTimeout(BUDGET_MS);
const cluster = new TestCluster({ portBase: 29_610, brokers: 1 });
const STOP_DEADLINE_MS = 20_000;

beforeAll(async () => {
  await cluster.up();
}, 240_000);

/** The environment of a service on the SASL_SSL listener; `overrides` replace any of it. */
function saslEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const s = cluster.sasl;
  const env: Record<string, string | undefined> = {
    ...pipelineEnv({ AMPSEAL_STOP_DEADLINE_MS: String(STOP_DEADLINE_MS) }),
    AMPSEAL_KAFKA_BROKERS: s.brokers.join(','),
    AMPSEAL_KAFKA_SSL: 'true',
    AMPSEAL_KAFKA_SSL_CA_FILE: s.caFile,
    AMPSEAL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    AMPSEAL_KAFKA_SASL_USERNAME: s.username,
    AMPSEAL_KAFKA_SASL_PASSWORD_FILE: s.passwordFile,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function saslSecurity(mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' = 'scram-sha-512', clientCertificate = false): KafkaSecurity {
  const s = cluster.sasl;
  return {
    tls: { ca: readFileSync(s.caFile, 'utf8'), ...(clientCertificate ? { cert: readFileSync(s.clientCertFile, 'utf8'), key: readFileSync(s.clientKeyFile, 'utf8') } : {}) },
    sasl: { mechanism, username: s.username, password: readFileSync(s.passwordFile, 'utf8').trim() },
  };
}

describe('Kafka over SASL_SSL (private broker with the launcher-generated CA and SCRAM user)', () => {
  it('logs in with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN, with and without a client certificate', async () => {
    for (const [mechanism, mtls] of [['scram-sha-512', false], ['scram-sha-256', false], ['plain', false], ['scram-sha-512', true]] as const) {
      const kafka = kafkaClient(`sasl-${mechanism}`, cluster.sasl.brokers, saslSecurity(mechanism, mtls));
      await expect(kafka.verify()).resolves.toBeUndefined();
      await kafka.close();
    }
  });

  it('logs in with OAUTHBEARER from a token file and from a command; an unreadable token file is AUTHENTICATION_FAILED', async () => {
    const { tokenFile, dir } = unsignedTokenFile(resources, cluster.sasl.username);
    const tls = { ca: readFileSync(cluster.sasl.caFile, 'utf8') };
    for (const sasl of [{ mechanism: 'oauthbearer', tokenFile }, { mechanism: 'oauthbearer', tokenCommand: `cat '${tokenFile}'` }] as const) {
      const kafka = kafkaClient('sasl-oauth', cluster.sasl.brokers, { tls, sasl });
      await expect(kafka.verify()).resolves.toBeUndefined();
      await kafka.close();
    }
    const missing = kafkaClient('sasl-oauth-missing', cluster.sasl.brokers, { tls, sasl: { mechanism: 'oauthbearer', tokenFile: join(dir, 'absent') } });
    await expect(missing.verify()).rejects.toMatchObject({ code: 'AMPSEAL_ERR_AUTHENTICATION_FAILED' });
  });

  it('pseudonymizes through the authenticated listener: analytics in the registry format, the card tokenized', async () => {
    const env = saslEnv();
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const service = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();

    const idTag = randomBytes(7).toString('hex').toUpperCase();
    const kafka = kafkaClient('sasl-e2e', cluster.sasl.brokers, saslSecurity());
    await produce(kafka, config.topics.ocppRaw, [{ key: 'CP-1', value: authorizeEnvelope(idTag, '2026-11-24T10:00:00Z') }]);
    const seen = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 1);
    const event = await registryClient().decode(seen[0]!.value!);
    expect(event).toMatchObject({ eventType: 'AUTHORIZATION_REQUESTED', identifiers: [expect.objectContaining({ kind: 'uid', status: 'TOKENIZED' })] });
    expect(seen[0]!.value!.toString('latin1')).not.toContain(idTag);
    await service.lifecycle.stop();
  });

  it('erases a subject through the authenticated listener: CLI request, shredder receipt', async () => {
    const env = saslEnv({ AMPSEAL_GROUP_ID: `sasl-shredder-${randomBytes(4).toString('hex')}` });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();

    const idTag = randomBytes(7).toString('hex').toUpperCase();
    const keyring = await openKeyRing('redis', config, logger);
    resources.add('keyring', keyring, (k) => k.stop());
    await transformWith(keyring).run([{ eventId: 'x', value: authorizeEnvelope(idTag, '2026-11-24T10:00:00Z') }]);

    const requestId = `req-${randomBytes(4).toString('hex')}`;
    const { stdout } = await runAmpseal(['erase', '--tenant', 'acme-cpo', '--id', `uid:${idTag}`, '--reason', 'GDPR Art. 17', '--request-id', requestId, '--wait'], { env, timeoutMs: 90_000 });
    expect(stdout).toMatch(new RegExp(`^${requestId}: erase done at .* \\(erased 1, `));
    expect((await keyring.currentTokens('acme-cpo', [{ kind: 'uid', value: idTag }]))[0]).toMatchObject({ token: null });
    await shredder.lifecycle.stop();
  });

  it.each([
    ['a wrong password', { AMPSEAL_KAFKA_SASL_PASSWORD_FILE: undefined, AMPSEAL_KAFKA_SASL_PASSWORD: 'not-the-password' }, 'AMPSEAL_ERR_AUTHENTICATION_FAILED'],
    // No CA bundle: Node's public CAs, which never signed the launcher's own CA.
    ['an untrusted broker certificate', { AMPSEAL_KAFKA_SSL_CA_FILE: undefined }, 'AMPSEAL_ERR_TLS_UNTRUSTED'],
  ])('fails start-up on %s: exit 1 within the stop deadline, the code in the log, no stack trace', async (_, overrides, code) => {
    const started = Date.now();
    const child = spawnService('pseudonymizer', saslEnv(overrides));
    const exit = await exitOf(child);
    const elapsed = Date.now() - started;
    const output = child.output.join('');
    expect(exit.code).toBe(1);
    expect(output).toContain(`"code":"${code}"`);
    expect(output).toContain('start failed');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(readFileSync(cluster.sasl.passwordFile, 'utf8').trim());
    // The check fails on the first answer instead of the client's half-minute of retries.
    expect(elapsed).toBeLessThan(STOP_DEADLINE_MS);
  });
});
