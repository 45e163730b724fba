import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@ampseal/foundation';
import type { KafkaSecurity } from '@ampseal/kafka';
import { verifyConnection } from '@ampseal/kafka-platformatic';
import { TestCluster, unsignedTokenFile } from '../harness/cluster';
import { useResources } from '../harness/resources';

/**
 * The platformatic adapter's TLS and SASL mapping (client.ts) against a real SASL_SSL listener: every mechanism the
 * configuration accepts, mTLS, and the two refusals the start-up check must name. A private single node on ports of
 * its own (the authenticated-listener pipeline test uses 29610…); the shared stack is not touched.
 */
const resources = useResources({ budgetMs: 240_000 });
const cluster = new TestCluster({ portBase: 29_660, brokers: 1 });

beforeAll(async () => {
  await cluster.up();
}, 200_000);

const verify = (security: KafkaSecurity) => verifyConnection({ brokers: cluster.sasl.brokers, clientId: 'platformatic-security', logger: silentLogger, security });

function tls(clientCertificate = false): NonNullable<KafkaSecurity['tls']> {
  const s = cluster.sasl;
  return { ca: readFileSync(s.caFile, 'utf8'), ...(clientCertificate ? { cert: readFileSync(s.clientCertFile, 'utf8'), key: readFileSync(s.clientKeyFile, 'utf8') } : {}) };
}

function password(): string {
  return readFileSync(cluster.sasl.passwordFile, 'utf8').trim();
}

describe('@platformatic/kafka over SASL_SSL: the adapter maps every security setting', () => {
  it.each([
    ['scram-sha-512', false],
    ['scram-sha-256', false],
    ['plain', false],
    ['scram-sha-512', true],
  ] as const)('logs in with %s (client certificate: %s)', async (mechanism, mtls) => {
    await expect(verify({ tls: tls(mtls), sasl: { mechanism, username: cluster.sasl.username, password: password() } })).resolves.toBeUndefined();
  });

  it('logs in with OAUTHBEARER from a token file and from a command; an unreadable token file is AUTHENTICATION_FAILED', async () => {
    const { tokenFile, dir } = unsignedTokenFile(resources, cluster.sasl.username);
    await expect(verify({ tls: tls(), sasl: { mechanism: 'oauthbearer', tokenFile } })).resolves.toBeUndefined();
    await expect(verify({ tls: tls(), sasl: { mechanism: 'oauthbearer', tokenCommand: `cat '${tokenFile}'` } })).resolves.toBeUndefined();
    await expect(verify({ tls: tls(), sasl: { mechanism: 'oauthbearer', tokenFile: join(dir, 'absent') } })).rejects.toMatchObject({ code: 'AMPSEAL_ERR_AUTHENTICATION_FAILED' });
  });

  it('a wrong password is AUTHENTICATION_FAILED, a broker certificate from an unknown CA is TLS_UNTRUSTED', async () => {
    await expect(verify({ tls: tls(), sasl: { mechanism: 'scram-sha-512', username: cluster.sasl.username, password: 'not-the-password' } })).rejects.toMatchObject({ code: 'AMPSEAL_ERR_AUTHENTICATION_FAILED' });
    await expect(verify({ tls: {}, sasl: { mechanism: 'scram-sha-512', username: cluster.sasl.username, password: password() } })).rejects.toMatchObject({ code: 'AMPSEAL_ERR_TLS_UNTRUSTED' });
  });
});
