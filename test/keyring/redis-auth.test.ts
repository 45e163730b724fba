import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmpsealError } from '@ampseal/core';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { captureLogger } from '../harness/capture-logger';
import { pipelineEnv } from '../harness/pipeline';
import { exitOf, spawnService } from '../harness/processes';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';
import { authorizeEnvelope, transformWith } from '../harness/transform';

/** Redis with AUTH on (a private server with `requirepass`, as the local stack's): the key ring logs in or stops. */
const resources = useResources({ budgetMs: 120_000 });
const PASSWORD = randomBytes(18).toString('hex');
const redis = new PrivateRedis(PASSWORD);
const dir = mkdtempSync(join(tmpdir(), 'ampseal-redis-auth-'));
const passwordFile = join(dir, 'redis-password');

beforeAll(async () => {
  resources.add('private redis', redis, (r) => r.destroy());
  resources.add('secret dir', dir, async (d) => rmSync(d, { recursive: true, force: true }));
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  await redis.start();
});

describe('the key ring on a Redis that requires AUTH', () => {
  it('logs in with the password from a secret file and issues tokens', async () => {
    const config = loadConfig(pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_REDIS_PASSWORD_FILE: passwordFile }));
    const { logger } = captureLogger('warn');
    const keyring = await openKeyRing('redis', config, logger);
    resources.add('keyring', keyring, (k) => k.stop());
    const [result] = await transformWith(keyring).run([{ eventId: 'x', value: authorizeEnvelope(randomBytes(7).toString('hex').toUpperCase()) }]);
    expect(result).toMatchObject({ status: 'emitted', analytics: { identifiers: [expect.objectContaining({ status: 'TOKENIZED' })] } });
    await keyring.stop();
  });

  it('stops with AUTHENTICATION_FAILED on a wrong password, naming Redis and not the password', async () => {
    const config = loadConfig(pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_REDIS_PASSWORD: 'not-the-password' }));
    const { logger } = captureLogger('warn');
    const error = await openKeyRing('redis', config, logger).then(
      (k) => k.stop().then(() => undefined),
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AmpsealError);
    expect(error).toMatchObject({ code: 'AMPSEAL_ERR_AUTHENTICATION_FAILED', retriable: false, message: expect.stringContaining('Redis (WRONGPASS)') });
    expect((error as Error).message).not.toContain('not-the-password');
  });

  it('fails a service start on a wrong password: exit 1, the code in the log, no stack trace', async () => {
    const child = spawnService('pseudonymizer', pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_REDIS_PASSWORD: 'not-the-password' }));
    const exit = await exitOf(child);
    const output = child.output.join('');
    expect(exit.code).toBe(1);
    expect(output).toContain('"code":"AMPSEAL_ERR_AUTHENTICATION_FAILED"');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('not-the-password');
  });
});
