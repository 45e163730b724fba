import fc from 'fast-check';
import type { TokenRequest } from '@ampseal/core';
import { createMemoryKeyRing, type MemoryKeyRing } from './memory';

/**
 * What only the in-memory key ring has. Everything the SPEC says of both stores is in the conformance suite
 * (conformance.ts, run over memory by conformance.test.ts and over Redis by test/keyring/conformance.test.ts).
 */
const T0 = Date.parse('2026-11-24T10:00:00Z');

function req(value: string): TokenRequest {
  return { subject: { tenant: 'acme-cpo', kind: 'uid', value }, at: T0 };
}

describe('memory key ring', () => {
  let ring: MemoryKeyRing;
  beforeEach(async () => {
    ring = createMemoryKeyRing({ cacheSize: 1000, cacheTtlMs: 60_000 });
    await ring.start();
  });
  afterEach(() => ring.stop());

  it('K10 property: tokens are stable per subject and distinct across subjects, for any normalized value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 20 }), async (values) => {
        const first = await ring.tokens(values.map(req));
        const again = await ring.tokens([...values].reverse().map(req));
        const tokens = first.map((o) => (o.status === 'TOKENIZED' ? o.token : o.status));
        expect(again.map((o) => (o.status === 'TOKENIZED' ? o.token : o.status)).reverse()).toEqual(tokens);
        expect(new Set(tokens).size).toBe(values.length);
      }),
      { numRuns: 30 },
    );
  });

  it('K28 memory mode calls neither KMS nor Redis: local key sets, Maps for the store', async () => {
    await ring.tokens([req('A'), req('B'), req('A')]);
    await ring.erase('acme-cpo', [{ kind: 'uid', value: 'A' }], { requestId: 'r-1', erasedAt: T0 });
    await ring.learnPrivateSites('acme-cpo', ['LOC-1']);
    expect(ring.stats()).toMatchObject({ keysCreated: 2, kmsCalls: 0, redisRoundTrips: 0 });
  });

  it('K11 stop() zeroes the key set held in memory', async () => {
    await ring.tokens([req('A')]);
    const keySets = (ring as unknown as { keySets: { keySet(tenant: string, now: number): Promise<{ wrappingKey: Buffer }> } }).keySets;
    const { wrappingKey } = await keySets.keySet('acme-cpo', Date.now());
    expect(wrappingKey.some((b) => b !== 0)).toBe(true);
    await ring.stop();
    expect(wrappingKey.every((b) => b === 0)).toBe(true);
  });
});
