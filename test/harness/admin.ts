import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resources } from './resources';

/**
 * The shredder's admin listener and request signing for a test: a token file of named operators (each with a fresh
 * random token), a signing key, and the variables that name them. The files live in a temporary directory that
 * the file's clean-up removes.
 */
export function adminSetUp(resources: Resources, operators: readonly string[] = ['alice', 'bob']): {
  readonly dir: string;
  readonly tokens: Readonly<Record<string, string>>;
  readonly signingKey: string;
  readonly env: Record<string, string>;
} {
  const dir = resources.add('admin files', mkdtempSync(join(tmpdir(), 'ampseal-admin-')), async (d) => rmSync(d, { recursive: true, force: true }));
  const tokens = Object.fromEntries(operators.map((name) => [name, randomBytes(32).toString('base64url')]));
  const lines = Object.entries(tokens).map(([name, token]) => `${name}:${createHash('sha256').update(token).digest('hex')}`);
  writeFileSync(join(dir, 'tokens'), `# name:sha256(token)\n${lines.join('\n')}\n`);
  const signingKey = randomBytes(48).toString('base64');
  writeFileSync(join(dir, 'signing-key'), `${signingKey}\n`);
  return {
    dir,
    tokens,
    signingKey,
    env: {
      AMPSEAL_ADMIN_PORT: '0',
      AMPSEAL_ADMIN_HOST: '127.0.0.1',
      AMPSEAL_ADMIN_TOKENS_FILE: join(dir, 'tokens'),
      AMPSEAL_REQUEST_SIGNING_KEY_FILE: join(dir, 'signing-key'),
    },
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost (openssl), written to `dir`; the PEM text is the CA. */
export function selfSignedCertificate(dir: string): { certFile: string; keyFile: string; pem: string } {
  const certFile = join(dir, 'admin-cert.pem');
  const keyFile = join(dir, 'admin-key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}
