import { createHmac, hkdfSync } from 'node:crypto';
import { TenantLinks } from './links';
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

  it('the bounded cache gives the same tokens and hashes after it fills and clears, per domain and scope', () => {
    const key = Buffer.alloc(32, 7);
    const small = new TenantLinks(Buffer.from(key), [], 3);
    const fresh = () => new TenantLinks(Buffer.from(key), [], 1_000);
    const asks: Array<[Parameters<TenantLinks['token']>[0], string, boolean]> = [
      ['station', 'CS-1', false],
      ['station', 'CS-1', true],
      ['location', 'CS-1', false],
      ['transaction', '42', false],
      ['station', 'CS-2', false],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [scope, value, privateSite] of asks) expect(small.token(scope, value, privateSite)).toBe(fresh().token(scope, value, privateSite));
      expect(small.hash('CS-1')).toBe(fresh().hash('CS-1'));
      expect((small as unknown as { size: number }).size).toBeLessThanOrEqual(3);
    }
    // The domains stay apart: a private and a public token of one id differ, and so do two scopes.
    expect(new Set(asks.slice(0, 3).map(([scope, value, p]) => small.token(scope, value, p))).size).toBe(3);
  });
});
