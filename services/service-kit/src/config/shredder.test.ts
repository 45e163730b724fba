import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index';

const dir = mkdtempSync(join(tmpdir(), 'ampseal-admin-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const sha = (token: string) => createHash('sha256').update(token).digest('hex');
const tokens = file('tokens', `# operators of the admin API\nalice:${sha('a'.repeat(40))}\n\nbob@privacy-ops:${sha('b'.repeat(40)).toUpperCase()}\n`);

describe('the admin listener configuration', () => {
  it('is off unless AMPSEAL_ADMIN_PORT is set', () => {
    expect(loadConfig({}).admin).toBeUndefined();
  });

  it('reads named operators and their token hashes from the token file, with the defaults of host and limits', () => {
    const { admin } = loadConfig({ AMPSEAL_ADMIN_PORT: '9465', AMPSEAL_ADMIN_TOKENS_FILE: tokens });
    expect(admin).toMatchObject({ host: '0.0.0.0', port: 9465, tls: undefined, maxConnections: 32 });
    expect(admin!.operators.map((o) => [o.name, o.tokenSha256.toString('hex')])).toEqual([
      ['alice', sha('a'.repeat(40))],
      ['bob@privacy-ops', sha('b'.repeat(40))],
    ]);
  });

  it('serves the console by default, with one-hour sessions and no proxy header', () => {
    const { admin } = loadConfig({ AMPSEAL_ADMIN_PORT: '0', AMPSEAL_ADMIN_TOKENS_FILE: tokens });
    expect(admin!.console).toEqual({ enabled: true, sessionMs: 3_600_000, trustedHeader: undefined });
    const off = loadConfig({ AMPSEAL_ADMIN_PORT: '0', AMPSEAL_ADMIN_TOKENS_FILE: tokens, AMPSEAL_ADMIN_CONSOLE: 'false', AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES: '15' });
    expect(off.admin!.console).toMatchObject({ enabled: false, sessionMs: 900_000 });
    expect(() => loadConfig({ AMPSEAL_ADMIN_CONSOLE: 'true' })).toThrow(/AMPSEAL_ADMIN_CONSOLE must be set only together with AMPSEAL_ADMIN_PORT/);
    expect(() => loadConfig({ AMPSEAL_ADMIN_PORT: '0', AMPSEAL_ADMIN_TOKENS_FILE: tokens, AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES: '0' })).toThrow(/AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES must be a whole number from 5 to 720/);
  });

  it('trusts an operator header from a proxy only on a listener bound to loopback', () => {
    const base = { AMPSEAL_ADMIN_PORT: '0', AMPSEAL_ADMIN_TOKENS_FILE: tokens, AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER: 'X-Forwarded-Email' };
    expect(loadConfig({ ...base, AMPSEAL_ADMIN_HOST: '127.0.0.1' }).admin!.console.trustedHeader).toBe('x-forwarded-email');
    expect(() => loadConfig(base)).toThrow(/AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER must be set only with AMPSEAL_ADMIN_HOST=127.0.0.1/);
    expect(() => loadConfig({ ...base, AMPSEAL_ADMIN_HOST: '::1', AMPSEAL_ADMIN_CONSOLE_TRUSTED_HEADER: 'bad header' })).toThrow(/a header name/);
  });

  it('reads a TLS certificate and its key, and refuses a key of another certificate', () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const other = join(dir, 'other-key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', other], { stdio: 'ignore' });
    const base = { AMPSEAL_ADMIN_PORT: '0', AMPSEAL_ADMIN_TOKENS_FILE: tokens, AMPSEAL_ADMIN_TLS_CERT_FILE: cert };
    expect(loadConfig({ ...base, AMPSEAL_ADMIN_TLS_KEY_FILE: key }).admin!.tls).toEqual({ cert: expect.any(Buffer), key: expect.any(Buffer) });
    expect(() => loadConfig({ ...base, AMPSEAL_ADMIN_TLS_KEY_FILE: other })).toThrow(/AMPSEAL_ADMIN_TLS_KEY_FILE must be the private key of the certificate/);
    expect(() => loadConfig({ ...base, AMPSEAL_ADMIN_TLS_KEY_FILE: tokens })).toThrow(/AMPSEAL_ADMIN_TLS_KEY_FILE must be a PEM private key file/);
    expect(() => loadConfig({ ...base, AMPSEAL_ADMIN_TLS_CERT_FILE: tokens, AMPSEAL_ADMIN_TLS_KEY_FILE: key })).toThrow(/AMPSEAL_ADMIN_TLS_CERT_FILE must be a PEM certificate/);
  });

  const listener = { AMPSEAL_ADMIN_PORT: '9465', AMPSEAL_ADMIN_TOKENS_FILE: tokens };
  it.each([
    ['the old single token', { AMPSEAL_ADMIN_TOKEN: 'x'.repeat(40) }, /AMPSEAL_ADMIN_TOKEN must be unset: it is no longer read/],
    ['a token file without a port', { AMPSEAL_ADMIN_TOKENS_FILE: tokens }, /AMPSEAL_ADMIN_TOKENS_FILE must be set only together with AMPSEAL_ADMIN_PORT/],
    ['a port without a token file', { AMPSEAL_ADMIN_PORT: '9465' }, /AMPSEAL_ADMIN_TOKENS_FILE must be set when AMPSEAL_ADMIN_PORT is/],
    ['a bad port', { ...listener, AMPSEAL_ADMIN_PORT: '70000' }, /AMPSEAL_ADMIN_PORT must be a whole number from 0 to 65535/],
    ['a missing token file', { ...listener, AMPSEAL_ADMIN_TOKENS_FILE: join(dir, 'absent') }, /AMPSEAL_ADMIN_TOKENS_FILE must be a readable file \(ENOENT\)/],
    ['a certificate without its key', { ...listener, AMPSEAL_ADMIN_TLS_CERT_FILE: tokens }, /AMPSEAL_ADMIN_TLS_KEY_FILE must be set together with/],
    ['a connection limit of 0', { ...listener, AMPSEAL_ADMIN_MAX_CONNECTIONS: '0' }, /AMPSEAL_ADMIN_MAX_CONNECTIONS must be a whole number from 1/],
  ])('stops on %s with a message naming the variable', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ code: 'AMPSEAL_ERR_CONFIG_INVALID' }));
  });

  it.each([
    ['an empty file', '# nobody yet\n', /at least one name:sha256hex line/],
    ['a clear token instead of its hash', `carol:${'c'.repeat(40)}\n`, /line 1 is not/],
    ['a line without a name', `:${sha('x'.repeat(40))}\n`, /line 1 is not/],
    ['a repeated name', `alice:${sha('a'.repeat(40))}\nalice:${sha('b'.repeat(40))}\n`, /line 2 repeats a name/],
    ['one token for two operators', `alice:${sha('a'.repeat(40))}\nbob:${sha('a'.repeat(40))}\n`, /line 2 repeats another operator's token hash/],
  ])('refuses a token file with %s, naming the line and never quoting it', (_what, content, message) => {
    const path = file(`tokens-${Math.random().toString(36).slice(2)}`, content);
    let error: Error | undefined;
    try {
      loadConfig({ ...listener, AMPSEAL_ADMIN_TOKENS_FILE: path });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('c'.repeat(40));
    expect(error?.message).not.toContain(sha('a'.repeat(40)));
  });
});
