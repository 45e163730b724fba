import { randomBytes } from 'node:crypto';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { pipelineEnv } from '../harness/pipeline';
import { useResources } from '../harness/resources';

const resources = useResources();

describe('erasure racing the first sight of a subject in another instance', () => {
  it('never leaves two live keys, nor a key that outlives its tombstone', async () => {
    const config = loadConfig(pipelineEnv());
    const { logger } = captureLogger('warn');
    const seer = resources.add('seer', await openKeyRing('redis', config, logger), (k) => k.stop());
    const shredder = resources.add('shredder', await openKeyRing('redis', config, logger), (k) => k.stop());
    const other = resources.add('other', await openKeyRing('redis', config, logger), (k) => k.stop());

    for (let i = 0; i < 40; i++) {
      const subject = { kind: 'uid' as const, value: randomBytes(7).toString('hex').toUpperCase() };
      const erasedAt = Date.now();
      // First sight (event before the erasure) in two instances at once, racing the erasure.
      const [a, b, erasure] = await Promise.all([
        seer.tokens([{ subject: { tenant: 'acme-cpo', ...subject }, at: erasedAt - 1_000 }]),
        other.tokens([{ subject: { tenant: 'acme-cpo', ...subject }, at: erasedAt - 500 }]),
        shredder.erase('acme-cpo', [subject], { requestId: `race-${randomBytes(6).toString('hex')}`, erasedAt }),
      ]);
      const minted = [a[0]!, b[0]!].flatMap((o) => (o.status === 'TOKENIZED' ? [o.token] : []));
      // Never two live keys: whoever saw the subject first, both saw the same key.
      expect(new Set(minted).size).toBeLessThanOrEqual(1);
      // A key minted before the tombstone was retired by it; none outlives it.
      for (const token of minted) expect(erasure.retiredTokens).toContain(token);
      const [state] = await other.currentTokens('acme-cpo', [subject]);
      expect(state!.token).toBeNull();
      // Once the receipt has evicted the caches, an event before the erasure never gets a token again.
      for (const instance of [seer, other]) instance.evict('acme-cpo', erasure.retiredTokens);
      expect((await seer.tokens([{ subject: { tenant: 'acme-cpo', ...subject }, at: erasedAt - 1 }]))[0]!.status).toBe('ERASED');
    }
  }, 60_000);
});
