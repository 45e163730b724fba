import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index';

const dir = mkdtempSync(join(tmpdir(), 'ampseal-signing-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'k'.repeat(48);
const PREVIOUS = 'p'.repeat(48);

describe('the request signing configuration', () => {
  it('signs and checks nothing without a key', () => {
    expect(loadConfig({})).toMatchObject({ requestSigningKeys: [], requestSignatures: 'off' });
  });

  it('requires signatures by default once a key is set, from the variable or from its file', () => {
    expect(loadConfig({ AMPSEAL_REQUEST_SIGNING_KEY: KEY })).toMatchObject({ requestSigningKeys: [Buffer.from(KEY)], requestSignatures: 'required' });
    const path = join(dir, 'key');
    writeFileSync(path, `${KEY}\n`);
    expect(loadConfig({ AMPSEAL_REQUEST_SIGNING_KEY_FILE: path }).requestSigningKeys).toEqual([Buffer.from(KEY)]);
  });

  it('verifies with the previous key too during a rotation, and can be turned off for a rollout', () => {
    const config = loadConfig({ AMPSEAL_REQUEST_SIGNING_KEY: KEY, AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS: PREVIOUS, AMPSEAL_REQUEST_SIGNATURES: 'off' });
    expect(config.requestSigningKeys).toEqual([Buffer.from(KEY), Buffer.from(PREVIOUS)]);
    expect(config.requestSignatures).toBe('off');
  });

  it.each([
    ['required without a key', { AMPSEAL_REQUEST_SIGNATURES: 'required' }, /AMPSEAL_REQUEST_SIGNATURES must be off unless AMPSEAL_REQUEST_SIGNING_KEY/],
    ['an unknown mode', { AMPSEAL_REQUEST_SIGNING_KEY: KEY, AMPSEAL_REQUEST_SIGNATURES: 'warn' }, /AMPSEAL_REQUEST_SIGNATURES must be required or off/],
    ['a short key', { AMPSEAL_REQUEST_SIGNING_KEY: 'k'.repeat(31) }, /AMPSEAL_REQUEST_SIGNING_KEY must be at least 32 printable characters/],
    ['a key with spaces', { AMPSEAL_REQUEST_SIGNING_KEY: `${'k'.repeat(20)} ${'k'.repeat(20)}` }, /AMPSEAL_REQUEST_SIGNING_KEY must be at least 32 printable/],
    ['a key and a key file', { AMPSEAL_REQUEST_SIGNING_KEY: KEY, AMPSEAL_REQUEST_SIGNING_KEY_FILE: '/dev/null' }, /set either AMPSEAL_REQUEST_SIGNING_KEY or AMPSEAL_REQUEST_SIGNING_KEY_FILE, not both/],
    ['a missing key file', { AMPSEAL_REQUEST_SIGNING_KEY_FILE: join(dir, 'absent') }, /AMPSEAL_REQUEST_SIGNING_KEY_FILE must be a readable file \(ENOENT\)/],
    ['a previous key alone', { AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS: PREVIOUS }, /AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS must be set only together with AMPSEAL_REQUEST_SIGNING_KEY/],
  ])('stops on %s with a message naming the variable and never the key', (_what, env, message) => {
    let error: Error | undefined;
    try {
      loadConfig(env);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error).toMatchObject({ code: 'AMPSEAL_ERR_CONFIG_INVALID' });
    expect(error?.message).not.toContain('kkkkkkkkkk');
  });
});
