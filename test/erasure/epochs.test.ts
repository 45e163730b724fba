import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, DEFAULT_POLICY_FILE, epochName, epochOf, type EpochSpec, type TokenOutcome } from '@ampseal/core';
import type { KeyRing } from '@ampseal/keyring';
import { loadConfig, openKeyRing, type Config } from '@ampseal/service-kit';
import { createShredder } from '@ampseal/shredder';
import { captureLogger } from '../harness/capture-logger';
import { kafkaClient, redisClient } from '../harness/clients';
import { consumeUntil } from '../harness/kafka';
import { pipelineEnv } from '../harness/pipeline';
import { runAmpseal } from '../harness/processes';
import { PrivateRedis } from '../harness/redis-server';
import { useResources } from '../harness/resources';

/**
 * Token epochs on the real stack (keyring SPEC K44–K50): `ampseal epochs list|destroy-expired`, the journal and
 * `ampseal keyring reapply-tombstones` after a Redis restore, and the shredder's schedule. The key ring's clock is the
 * real one, so "older than the retention" is reached the way an operator reaches it early: by shortening the retention
 * in the policy (P2Y → P30D) after events of an older epoch were tokenized under the longer one.
 */
const resources = useResources();

const TENANT = 'acme-cpo';
const WINDOW = 30 * DAY_MS;
const LONG: EpochSpec = { windowMs: WINDOW, retentionMs: 730 * DAY_MS };

function policyFile(retention: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-epochs-'));
  const file = join(dir, 'policy.yaml');
  const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace(/^tenants: \{\}$/m, `tenants:\n  ${TENANT}:\n    linkability: { window: P30D, retention: ${retention} }`);
  expect(text).toContain('linkability');
  writeFileSync(file, text);
  return file;
}

async function withRing<T>(config: Config, work: (ring: KeyRing) => Promise<T>): Promise<T> {
  const { logger } = captureLogger('warn');
  const ring = await openKeyRing('redis', config, logger);
  try {
    return await work(ring);
  } finally {
    await ring.stop();
  }
}

describe('token epochs on the stack (keyring SPEC K44–K50)', () => {
  it('destroy-expired journals and destroys the expired epoch; replays get EXPIRED; a Redis restore + reapply-tombstones does not bring it back', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_POLICY_FILE: policyFile('P30D') });
    const config = loadConfig(env);
    const now = Date.now();
    const old = now - 70 * DAY_MS; // its P30D epoch ended at least 40 days ago: expired under P30D, live under P2Y
    const card = { tenant: TENANT, kind: 'uid' as const, value: randomBytes(7).toString('hex').toUpperCase() };
    const replay = (ring: KeyRing, at: number): Promise<TokenOutcome[]> => ring.tokens([{ subject: card, at, epoch: LONG }]);
    const [before, current] = await withRing(config, async (ring) => [...(await replay(ring, old)), ...(await replay(ring, now))]);
    expect(before!.status).toBe('TOKENIZED');
    expect(current!.status).toBe('TOKENIZED');
    const oldEpoch = epochName(epochOf(old, WINDOW), WINDOW);
    const currentEpoch = epochName(epochOf(now, WINDOW), WINDOW);

    // The backup an operator took before the destruction.
    const client = redisClient(resources, redis.url);
    const backup = await Promise.all((await client.keys('*')).map(async (k) => [k, await client.dumpBuffer(k)] as const));

    // The shredder creates the journal topic; the command refuses to destroy what it cannot journal.
    const { logger } = captureLogger('warn');
    const shredder = resources.add('shredder', createShredder(config, logger), (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    await shredder.lifecycle.stop();

    const listed = JSON.parse((await runAmpseal(['epochs', 'list', '--format', 'json'], { env })).stdout) as Array<{ epoch: string; state: string }>;
    expect(listed.map((r) => [r.epoch, r.state])).toEqual([
      [oldEpoch, 'expired'],
      [currentEpoch, 'live'],
    ]);
    const destroyed = await runAmpseal(['epochs', 'destroy-expired', '--tenant', TENANT], { env });
    const receipt = JSON.parse(destroyed.stdout.trim()) as { tenant: string; destroyed: string[]; retention: string; destroyedAt: string };
    expect(receipt).toMatchObject({ version: 1, kind: 'epochs', tenant: TENANT, destroyed: [oldEpoch], retention: 'P30D' });
    expect(destroyed.stdout).not.toContain(card.value);
    // The same receipt on the receipts topic, under its own key (no request id has a slash).
    const receipts = await consumeUntil(kafkaClient('epochs-receipts'), [config.topics.erasureEvents], (seen) => seen.some((m) => m.key === `epochs/${TENANT}`));
    expect(JSON.parse(receipts.find((m) => m.key === `epochs/${TENANT}`)!.value!.toString('utf8'))).toEqual(receipt);
    // Journaled: the tombstone journal holds the destruction (tenant, epoch name, time: no identifier, no key).
    const journal = await consumeUntil(kafkaClient('epochs-journal'), [config.topics.tombstones], (seen) => seen.some((m) => m.key === `epoch:${TENANT}:${oldEpoch}`));
    const record = JSON.parse(journal.find((m) => m.key === `epoch:${TENANT}:${oldEpoch}`)!.value!.toString('utf8')) as Record<string, unknown>;
    expect(record).toEqual({ kind: 'epoch', tenant: TENANT, epoch: oldEpoch, destroyedAt: Date.parse(receipt.destroyedAt) });

    // Replaying the older event, even under the longer retention: EXPIRED, never a token; the current epoch is untouched.
    await withRing(config, async (ring) => {
      expect(await replay(ring, old)).toEqual([{ status: 'EXPIRED' }]);
      expect(await replay(ring, now)).toEqual([current]);
    });
    const after = JSON.parse((await runAmpseal(['epochs', 'list', '--format', 'json'], { env })).stdout) as Array<{ epoch: string; state: string; destroyedAt: string }>;
    expect(after[0]).toMatchObject({ epoch: oldEpoch, state: 'destroyed', destroyedAt: receipt.destroyedAt });
    expect((await runAmpseal(['epochs', 'destroy-expired'], { env })).stdout).toBe(''); // nothing left to destroy

    // Restore the older backup: the epoch secret is back in Redis...
    await client.flushall();
    for (const [k, dump] of backup) await client.restore(k, 0, dump!);
    await withRing(config, async (ring) => expect(await replay(ring, old)).toEqual([before]));
    // ...until the journal is re-applied, as BACKUP.md says to before anything resumes.
    const reapplied = await runAmpseal(['keyring', 'reapply-tombstones'], { env });
    expect(reapplied.stdout).toMatch(/epochs destroyed again 1 of 1/);
    await withRing(config, async (ring) => {
      expect(await replay(ring, old)).toEqual([{ status: 'EXPIRED' }]);
      expect(await replay(ring, now)).toEqual([current]);
      expect((await ring.epochs(TENANT)).find((e) => e.name === oldEpoch)!.destroyedAt).toBe(Date.parse(receipt.destroyedAt));
    });

    // `ampseal tokens` shows the current epoch's token and the epoch.
    const tokens = await runAmpseal(['tokens', '--tenant', TENANT, '--id', `uid:${card.value}`], { env });
    expect(JSON.parse(tokens.stdout.trim())).toEqual({ kind: 'uid', token: (current as { token: string }).token, epoch: currentEpoch, restricted: false, erasedAt: null });

    // Portability (`--format json`): every token the card carries in the analytics stores, per live epoch, and where.
    const other = randomBytes(7).toString('hex').toUpperCase();
    const portable = await runAmpseal(['tokens', '--tenant', TENANT, '--id', `uid:${card.value}`, '--id', `uid:${other}`, '--format', 'json'], { env });
    expect(portable.stdout).not.toContain(card.value);
    expect(JSON.parse(portable.stdout)).toEqual({
      tenant: TENANT,
      subjects: [
        {
          index: 0,
          kind: 'uid',
          restricted: false,
          erasedAt: null,
          tokens: [{ token: (current as { token: string }).token, epoch: currentEpoch, from: expect.any(String), until: expect.any(String), topics: [config.topics.analytics] }],
        },
        { index: 1, kind: 'uid', restricted: false, erasedAt: null, tokens: [] },
      ],
    });
  }, 120_000);

  it('the shredder destroys expired epochs on its schedule and journals them', async () => {
    const redis = resources.add('redis', new PrivateRedis(), (r) => r.destroy());
    await redis.start();
    const env = pipelineEnv({ AMPSEAL_REDIS_URL: redis.url, AMPSEAL_POLICY_FILE: policyFile('P30D'), AMPSEAL_EPOCH_DESTROY_INTERVAL_MS: '1000' });
    const config = loadConfig(env);
    expect(config.epochDestroyIntervalMs).toBe(1_000);
    const old = Date.now() - 70 * DAY_MS;
    const card = { tenant: TENANT, kind: 'uid' as const, value: randomBytes(7).toString('hex').toUpperCase() };
    await withRing(config, async (ring) => expect((await ring.tokens([{ subject: card, at: old, epoch: LONG }]))[0]!.status).toBe('TOKENIZED'));
    const oldEpoch = epochName(epochOf(old, WINDOW), WINDOW);

    const { logger, lines } = captureLogger('info');
    const shredder = resources.add('shredder', createShredder(config, logger), (s) => s.lifecycle.stop());
    await shredder.lifecycle.start();
    await consumeUntil(kafkaClient('epochs-schedule'), [config.topics.tombstones], (seen) => seen.some((m) => m.key === `epoch:${TENANT}:${oldEpoch}`));
    // The journal record is written before the destruction: wait for the destruction itself.
    let destroyedAt: number | null = null;
    for (let i = 0; i < 100 && destroyedAt === null; i++) {
      destroyedAt = await withRing(config, async (ring) => (await ring.epochs(TENANT)).find((e) => e.name === oldEpoch)?.destroyedAt ?? null);
      if (destroyedAt === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(destroyedAt).not.toBeNull();
    // Its receipt on the receipts topic; the shredder's own status index reads it without calling it unreadable.
    const receipts = await consumeUntil(kafkaClient('epochs-schedule-receipts'), [config.topics.erasureEvents], (seen) => seen.some((m) => m.key === `epochs/${TENANT}`));
    expect(JSON.parse(receipts.find((m) => m.key === `epochs/${TENANT}`)!.value!.toString('utf8'))).toMatchObject({ kind: 'epochs', tenant: TENANT, destroyed: [oldEpoch] });
    await shredder.lifecycle.stop();
    expect(lines.join('')).not.toContain('unreadable receipt skipped');
    const audit = lines.map((l) => JSON.parse(l) as { event?: string }).filter((l) => l.event === 'epochs.destroyed');
    expect(audit[0]).toMatchObject({ component: 'audit', tenant: TENANT, destroyed: [oldEpoch], retention: 'P30D' });
    await withRing(config, async (ring) => expect(await ring.tokens([{ subject: card, at: old, epoch: LONG }])).toEqual([{ status: 'EXPIRED' }]));
  }, 90_000);

  it('AMPSEAL_EPOCH_DESTROY_INTERVAL_MS is validated once, at start', () => {
    expect(() => loadConfig(pipelineEnv({ AMPSEAL_EPOCH_DESTROY_INTERVAL_MS: '10' }))).toThrow(/AMPSEAL_EPOCH_DESTROY_INTERVAL_MS/);
    expect(() => loadConfig(pipelineEnv({ AMPSEAL_EPOCH_DESTROY_INTERVAL_MS: 'hourly' }))).toThrow(/AMPSEAL_EPOCH_DESTROY_INTERVAL_MS/);
  });
});
