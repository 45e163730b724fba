import { randomBytes } from 'node:crypto';
import { RecordProducer } from '@ampseal/kafka';
import { loadConfig, openKeyRing } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, redisClient } from '../harness/clients';
import { consumeUntil, createTopics, produce } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { AMPSEAL_BIN, CommandError, exitOf, runAmpseal, spawnProcess } from '../harness/processes';
import { PrivateRedis } from '../harness/redis-server';
import { uniqueName, useResources } from '../harness/resources';

const resources = useResources();

describe('restoring an older Redis backup (services/keyring/BACKUP.md)', () => {
  it('brings no erased key back once the tombstone journal is re-applied', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url });
    const config = loadConfig(env);
    const { logger } = captureLogger('warn');
    const keyring = resources.add('keyring', await openKeyRing('redis', config, logger), (k) => k.stop());
    const subject = { kind: 'uid' as const, value: randomBytes(7).toString('hex').toUpperCase() };
    const [first] = await keyring.tokens([{ subject: { tenant: 'acme-cpo', ...subject }, at: Date.now() - 60_000 }]);
    expect(first!.status).toBe('TOKENIZED');

    // The backup: every key of the store, taken before the erasure.
    const client = redisClient(resources, redis.url);
    const keys = await client.keys('*');
    const backup = await Promise.all(keys.map(async (k) => [k, await client.dumpBuffer(k)] as const));

    const shredder = createShredder(config, logger);
    resources.add('shredder', shredder, (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    const requestId = `restore-${randomBytes(4).toString('hex')}`;
    await produce(kafkaClient('restore'), config.topics.erasureRequests, [
      { key: requestId, value: JSON.stringify({ requestId, tenant: 'acme-cpo', identifiers: [subject], reason: 'Art. 17' }) },
    ]);
    await consumeUntil(kafkaClient('restore'), [config.topics.erasureEvents], (s) => s.some((m) => m.key === requestId));
    await shredder.lifecycle.stop();

    // Restore the older backup: the subject key is back, the tombstone is gone.
    await client.flushall();
    for (const [k, dump] of backup) await client.restore(k, 0, dump!);
    const fresh = async () => {
      const ring = await openKeyRing('redis', config, logger);
      try {
        return (await ring.tokens([{ subject: { tenant: 'acme-cpo', ...subject }, at: Date.now() - 60_000 }]))[0];
      } finally {
        await ring.stop();
      }
    };
    expect(await fresh()).toEqual(first);

    // A malformed journal record (a corrupt write, a bad mirror) is reported and skipped; the rest is applied, and the
    // exit code (3) tells the operator to look. Every partition is read to its end offset, or the command fails.
    await produce(kafkaClient('restore'), config.topics.tombstones, [{ key: 'corrupt', value: '{"tenant":"acme-cpo","generation":-7}' }]);
    const failure = await runAmpseal(['keyring', 'reapply-tombstones'], { env }).catch((e: unknown) => e as CommandError);
    expect(failure).toBeInstanceOf(CommandError);
    const { code, stdout, stderr } = failure as CommandError;
    expect(code).toBe(3);
    const lines = [...stdout.matchAll(/partition \d+: read to end, (\d+) records, applied (\d+), skipped (\d+), stale keys deleted (\d+)/g)];
    expect(lines.length).toBeGreaterThan(0);
    const total = (i: number) => lines.reduce((sum, m) => sum + Number(m[i]), 0);
    expect({ read: total(1), applied: total(2), skipped: total(3), deleted: total(4) }).toEqual({ read: 2, applied: 1, skipped: 1, deleted: 1 });
    expect(stderr).toMatch(/skipped a malformed journal record at .+\[\d+\]@\d+/);
    expect(await fresh()).toEqual({ status: 'ERASED' });
  }, 90_000);

  it('waits for a journal transaction open when it starts and applies every tombstone in it once committed, never exit 0 with fewer', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url });
    const config = loadConfig(env);
    const kafka = kafkaClient('restore-open');
    await createTopics(kafka, resources, [{ topic: config.topics.tombstones, partitions: 2 }]);
    // A shredder mid-erasure: its journal records are written, its transaction not yet committed.
    const producer = resources.add('producer', new RecordProducer(kafka, { transactionalId: uniqueName('restore-open') }), (p) => p.stop());
    await producer.start();
    const N = 60;
    const erasedAt = Date.now();
    const journal = Array.from({ length: N }, (_, i) => {
      const tombstone = { tenant: 'acme-cpo', blindIndex: randomBytes(32).toString('base64url'), generation: 0, erasedAt, requestId: `restore-open-${i}` };
      return { topic: config.topics.tombstones, key: `${tombstone.tenant}:${tombstone.blindIndex}:${tombstone.requestId}`, value: JSON.stringify(tombstone) };
    });
    const open = await producer.openTransaction(journal);
    const release = resources.hold('open transaction', () => open.abort().catch(() => undefined));

    const child = spawnProcess('ampseal keyring reapply-tombstones', process.execPath, [AMPSEAL_BIN, 'keyring', 'reapply-tombstones'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = exitOf(child);
    // The command names the end offsets once it has taken them; the transaction commits a second after that.
    const reading = await Promise.race([
      new Promise<boolean>((resolve) =>
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('end offsets')) resolve(true);
        }),
      ),
      exited.then(() => false),
    ]);
    if (reading) {
      await new Promise((r) => setTimeout(r, 1_000));
      await open.commit();
      release();
    }
    const { code } = await exited;
    const lines = [...stdout.matchAll(/partition \d+: read to end, (\d+) records, applied (\d+), skipped (\d+)/g)];
    const total = (i: number) => lines.reduce((sum, m) => sum + Number(m[i]), 0);
    expect({ code, partitions: lines.length, read: total(1), applied: total(2), skipped: total(3) }).toEqual({ code: 0, partitions: 2, read: N, applied: N, skipped: 0 });
  }, 60_000);
});
