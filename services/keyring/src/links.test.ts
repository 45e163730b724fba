import { createHmac, hkdfSync } from 'node:crypto';
import { createMemoryKeyRing } from './memory';

const T0 = Date.parse('2026-11-24T10:00:00Z');

describe('link tokens and private sites (SPEC K33–K36)', () => {
  it('K34 a link token is stable per tenant, scope and value, and differs across tenants, scopes and domains', async () => {
    const ring = createMemoryKeyRing();
    const acme = await ring.links('acme-cpo');
    const other = await ring.links('voltway-cpo');
    const t = acme.token('station', 'garage-jansen', false);
    expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(acme.token('station', 'garage-jansen', false)).toBe(t);
    expect((await ring.links('acme-cpo')).token('station', 'garage-jansen', false)).toBe(t);
    expect(acme.token('transaction', 'garage-jansen', false)).not.toBe(t);
    expect(acme.token('station', 'garage-jansen', true)).not.toBe(t);
    expect(other.token('station', 'garage-jansen', false)).not.toBe(t);
    await ring.stop();
  });

  it('K33 K34 the token is the documented HMAC under the HKDF-derived link key (an independent computation)', async () => {
    // The memory key set is random per process: read its index key from the engine, then recompute K33 and K34.
    const ring = createMemoryKeyRing();
    const links = await ring.links('acme-cpo');
    const keySets = (ring as unknown as { keySets: { keySet(tenant: string, now: number): Promise<{ indexKey: Buffer }> } }).keySets;
    const { indexKey } = await keySets.keySet('acme-cpo', Date.now());
    const linkKey = Buffer.from(hkdfSync('sha256', indexKey, Buffer.alloc(0), 'ampseal/link-key/v1', 32));
    const expected = createHmac('sha256', linkKey).update('ampseal/link/v1\0private\0location\0LOC-1').digest().subarray(0, 16).toString('base64url');
    expect(links.token('location', 'LOC-1', true)).toBe(expected);
    await ring.stop();
  });

  it('K35 K36 a learned site is stored as a keyed hash, applies at once here and on another instance after the refresh', async () => {
    let now = T0;
    const ring = createMemoryKeyRing({ clock: () => now, siteRefreshMs: 30_000 });
    const links = await ring.links('acme-cpo');
    expect(links.isPrivate('LOC-HOME')).toBe(false);
    await ring.learnPrivateSites('acme-cpo', ['LOC-HOME']);
    expect(links.isPrivate('LOC-HOME')).toBe(true);
    expect(links.isPrivate('LOC-OTHER')).toBe(false);
    const stored = await ring.store.privateSites('acme-cpo');
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain('LOC-HOME');
    expect(stored[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Another instance's write lands in the store; this one sees it after the refresh period, not before.
    const hash = (links as unknown as { hash(v: string): string }).hash('LOC-ELSEWHERE');
    await ring.store.addPrivateSites('acme-cpo', [hash]);
    expect((await ring.links('acme-cpo')).isPrivate('LOC-ELSEWHERE')).toBe(false);
    now += 30_000;
    expect((await ring.links('acme-cpo')).isPrivate('LOC-ELSEWHERE')).toBe(true);
    // Refreshing keeps the tokenizer (and its cache): same object, same tokens.
    expect(await ring.links('acme-cpo')).toBe(links);
    await ring.stop();
  });

  it('K33 stop() zeroes the link key', async () => {
    const ring = createMemoryKeyRing();
    const links = await ring.links('acme-cpo');
    const key = (links as unknown as { key: Buffer }).key;
    expect(key.some((b) => b !== 0)).toBe(true);
    await ring.stop();
    expect(key.every((b) => b === 0)).toBe(true);
  });
});
