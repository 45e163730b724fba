import { createHmac, hkdfSync } from 'node:crypto';
import { createMemoryKeyRing } from './memory';

/**
 * Link-key internals of the in-memory key ring. What both stores must do with link tokens and private sites is in
 * the conformance suite (conformance.ts, K33–K36).
 */
describe('link tokens and private sites (SPEC K33–K36)', () => {
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

  it('K33 stop() zeroes the link key', async () => {
    const ring = createMemoryKeyRing();
    const links = await ring.links('acme-cpo');
    const key = (links as unknown as { key: Buffer }).key;
    expect(key.some((b) => b !== 0)).toBe(true);
    await ring.stop();
    expect(key.every((b) => b === 0)).toBe(true);
  });
});
