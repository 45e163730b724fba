import { randomBytes, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPseudonymizer } from '@ampseal/pseudonymizer';
import { loadConfig } from '@ampseal/service-kit';
import { selfSignedCertificate } from '../harness/admin';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, registryClient } from '../harness/clients';
import { endpoints } from '../harness/endpoints';
import { consumeUntil, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { exitOf, spawnService } from '../harness/processes';
import { useResources } from '../harness/resources';
import { authorizeEnvelope } from '../harness/transform';

/**
 * The schema registry behind credentials and TLS, as a managed one is (Confluent Cloud: basic auth with an API key
 * over https; others: a bearer token). The local stack's Apicurio runs without authentication, so the test puts an
 * https front of its own before it: a real TLS handshake with a certificate made for this file, and a real 401 for
 * any request without the right `Authorization` header. Behind it every request reaches the real registry.
 */
const BUDGET_MS = 180_000;
const resources = useResources({ budgetMs: BUDGET_MS });
const USERNAME = 'ampseal-api-key';
const PASSWORD = randomBytes(18).toString('base64url');
const TOKEN = randomBytes(24).toString('base64url');

const dir = mkdtempSync(join(tmpdir(), 'ampseal-registry-auth-'));
resources.add('secrets dir', dir, async (d) => rmSync(d, { recursive: true, force: true }));
const passwordFile = join(dir, 'password');
const tokenFile = join(dir, 'token');
writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });

/** What the front saw: requests it let through, and requests it answered 401. */
const seen = { authorized: 0, refused: 0 };
let front: { url: string; caFile: string };

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(header: string | undefined): boolean {
  if (header === undefined) return false;
  const basic = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
  return sameSecret(header, basic) || sameSecret(header, `Bearer ${TOKEN}`);
}

beforeAll(async () => {
  const certificate = selfSignedCertificate(dir);
  const upstream = new URL(endpoints().schemaRegistryUrl);
  const server: Server = createServer({ cert: certificate.pem, key: readFileSync(certificate.keyFile, 'utf8') }, (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req.headers.authorization)) {
      seen.refused++;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json' });
      res.end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    seen.authorized++;
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add('registry front', server, (s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  front = { url: `https://127.0.0.1:${port}${upstream.pathname}`, caFile: certificate.certFile };
});

/** A pseudonymizer's environment with the registry reached through the front; `overrides` replace any of it. */
function registryEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...pipelineEnv(),
    AMPSEAL_SCHEMA_REGISTRY_URL: front.url,
    AMPSEAL_SCHEMA_REGISTRY_CA_FILE: front.caFile,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

describe('schema registry behind TLS and credentials', () => {
  it.each([
    ['basic auth (an API key and a secret from a file)', { AMPSEAL_SCHEMA_REGISTRY_USERNAME: USERNAME, AMPSEAL_SCHEMA_REGISTRY_PASSWORD_FILE: passwordFile }],
    ['a bearer token from a file', { AMPSEAL_SCHEMA_REGISTRY_TOKEN_FILE: tokenFile }],
  ])('registers the analytics schema and pseudonymizes with %s', async (_, credentials) => {
    const before = { ...seen };
    const config = loadConfig(registryEnv(credentials));
    const { logger } = captureLogger('warn');
    const service = createPseudonymizer(config, logger);
    resources.add('pseudonymizer', service, (s) => s.lifecycle.stop());
    await service.lifecycle.start();

    const idTag = randomBytes(7).toString('hex').toUpperCase();
    const kafka = kafkaClient('registry-auth');
    await produce(kafka, config.topics.ocppRaw, [{ key: 'CP-1', value: authorizeEnvelope(idTag, '2026-11-24T10:00:00Z') }]);
    const out = await consumeUntil(kafka, [config.topics.analytics], (s) => s.length >= 1);
    // Decoded by the registry itself (directly, not through the front): the id the service got through the
    // front is the real registry's.
    const event = await registryClient().decode(out[0]!.value!);
    expect(event).toMatchObject({ eventType: 'AUTHORIZATION_REQUESTED', identifiers: [expect.objectContaining({ kind: 'uid', status: 'TOKENIZED' })] });
    expect(seen.authorized).toBeGreaterThan(before.authorized);
    expect(seen.refused).toBe(before.refused);
    await service.lifecycle.stop();
  });

  it.each([
    ['a wrong password', { AMPSEAL_SCHEMA_REGISTRY_USERNAME: USERNAME, AMPSEAL_SCHEMA_REGISTRY_PASSWORD: 'not-the-password' }, 'AMPSEAL_ERR_AUTHENTICATION_FAILED'],
    ['no credentials', {}, 'AMPSEAL_ERR_AUTHENTICATION_FAILED'],
    // No CA bundle: Node's public CAs, which never signed this file's own certificate.
    ['an untrusted certificate', { AMPSEAL_SCHEMA_REGISTRY_CA_FILE: undefined, AMPSEAL_SCHEMA_REGISTRY_TOKEN_FILE: tokenFile }, 'AMPSEAL_ERR_TLS_UNTRUSTED'],
  ])('fails start-up on %s: exit 1, the code in the log, no secret and no stack trace', async (_, overrides, code) => {
    const child = spawnService('pseudonymizer', registryEnv(overrides));
    const exit = await exitOf(child);
    const output = child.output.join('');
    expect(exit.code).toBe(1);
    expect(output).toContain(`"code":"${code}"`);
    expect(output).toContain('start failed');
    expect(output).not.toMatch(/\n\s+at /);
    for (const secret of [PASSWORD, TOKEN, 'not-the-password']) expect(output).not.toContain(secret);
  });
});
