import { randomBytes } from 'node:crypto';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient } from '../harness/clients';
import { consumeUntil } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { runAmpseal } from '../harness/processes';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

const resources = useResources();

describe('restriction of processing (Art. 18/21)', () => {
  it('carries a restricted subject as RESTRICTED without a token, keeps its key, and restores the same token when lifted', async () => {
    const env = pipelineEnv({ AMPSEAL_GROUP_ID: `restrict-${randomBytes(4).toString('hex')}` });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    const keyring = resources.add('keyring', await openKeyRing('redis', config, logger), (k) => k.stop());
    const transform = transformWith(keyring);
    const idTag = randomBytes(7).toString('hex').toUpperCase();
    const observe = async () => {
      const [r] = await transform.run([{ eventId: 'e', value: authorizeEnvelope(idTag) }]);
      return r!.status === 'emitted' ? r!.analytics!.identifiers[0]! : undefined;
    };
    const lifted = await observe();
    expect(lifted).toMatchObject({ status: 'TOKENIZED' });

    // What a pseudonymizer does on a receipt: evict the tokens it names.
    const act = async (action: 'restrict' | 'unrestrict') => {
      const requestId = `${action}-${randomBytes(4).toString('hex')}`;
      const { stdout } = await runAmpseal([action, '--tenant', 'acme-cpo', '--id', `uid:${idTag}`, '--reason', 'Art. 18 objection', '--request-id', requestId, '--wait'], { env });
      expect(stdout).toContain(`${requestId}: ${action} done`);
      const receipt = (await consumeUntil(kafkaClient(action), [config.topics.erasureEvents], (s) => s.some((m) => m.key === requestId))).find((m) => m.key === requestId)!;
      const { affectedTokens } = JSON.parse(receipt.value!.toString()) as { affectedTokens: string[] };
      expect(affectedTokens).toEqual([lifted!.token]);
      keyring.evict('acme-cpo', affectedTokens);
    };

    await act('restrict');
    expect(await observe()).toEqual({ field: 'idTag', kind: 'uid', status: 'RESTRICTED', token: null });
    expect((await keyring.currentTokens('acme-cpo', [{ kind: 'uid', value: idTag }]))[0]).toMatchObject({ token: lifted!.token, restricted: true });

    await act('unrestrict');
    expect(await observe()).toEqual(lifted);
  }, 60_000);
});
