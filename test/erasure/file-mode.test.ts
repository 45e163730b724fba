import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { pipelineEnv } from '../harness/pipeline';
import { runAmpseal } from '../harness/processes';
import { useResources } from '../harness/resources';

const resources = useResources();

describe('file mode with the real key ring', () => {
  it('applies replay safety: events before an erasure come out ERASED, later ones get a fresh token', async () => {
    const env = pipelineEnv();
    const keyring = resources.add('keyring', await openKeyRing('redis', loadConfig(env), captureLogger('warn').logger), (k) => k.stop());
    const idTag = randomBytes(7).toString('hex').toUpperCase();
    const line = (receivedAt: string) =>
      JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId: 'CP-F', receivedAt, action: 'Authorize', frame: [2, '1', 'Authorize', { idTag }] });
    const dir = mkdtempSync(join(tmpdir(), 'ampseal-file-'));
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, `${line('2026-01-01T00:00:00Z')}\n`);
    const pseudonymize = async () => {
      const { stdout } = await runAmpseal(['pseudonymize', '--audience', 'analytics', '--keyring', 'redis', '--in', input], { env });
      return JSON.parse(stdout.trim()).identifiers[0];
    };
    const before = await pseudonymize();
    expect(before).toMatchObject({ status: 'TOKENIZED' });
    expect(await pseudonymize()).toEqual(before);

    const erasedAt = Date.parse('2026-06-01T00:00:00Z');
    const { retiredTokens } = await keyring.erase('acme-cpo', [{ kind: 'uid', value: idTag }], { requestId: `file-${randomBytes(4).toString('hex')}`, erasedAt });
    expect(retiredTokens).toEqual([before.token]);
    expect(await pseudonymize()).toEqual({ field: 'idTag', kind: 'uid', status: 'ERASED', token: null });

    writeFileSync(input, `${line('2026-07-01T00:00:00Z')}\n`);
    const after = await pseudonymize();
    expect(after.status).toBe('TOKENIZED');
    expect(after.token).not.toBe(before.token);
  }, 60_000);
});
