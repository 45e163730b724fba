import type Redis from 'ioredis';
import { createRedisKeyRing, type KeyRing } from '@ampseal/keyring';
import { flipFirstByte, type ConformanceStore } from '@ampseal/keyring/dist/conformance';
import type { Resources } from '../harness/resources';
import { keyPrefix, keysUnder, redisKeyRingOptions } from './keyring-fixtures';

/**
 * A Redis + local-kms store for the key-ring conformance suite and the differential test: its own key prefix
 * (deleted when the file's resources close); "another instance" is another key ring on the same prefix.
 */
export async function openRedisConformanceStore(resources: Resources, redis: Redis): Promise<ConformanceStore> {
  const prefix = keyPrefix(resources, redis);
  const rings: KeyRing[] = [];
  // Subject records, tombstones, erasure results and the epochs hash (K47): what a backup of the key ring holds.
  const subjectKeys = async () => (await keysUnder(redis, `${prefix}*`)).filter((k) => /\}:[ste]:|\}:epochs$/.test(k));
  return {
    async ring(options) {
      const ring = createRedisKeyRing(
        redisKeyRingOptions(prefix, {
          ...(options.cacheTtlMs === undefined ? {} : { cacheTtlMs: options.cacheTtlMs }),
          clock: options.clock,
          logger: options.logger,
          siteRefreshMs: options.siteRefreshMs,
        }),
      );
      rings.push(ring);
      await ring.start();
      return ring;
    },
    // Records, tombstones and erasure results as DUMP payloads: what an RDB/AOF restore gives back.
    backup: async () => Promise.all((await subjectKeys()).map(async (k) => [k, await redis.dumpBuffer(k)] as const)),
    async restore(backup) {
      const keys = await subjectKeys();
      if (keys.length > 0) await redis.del(...keys);
      for (const [k, dump] of backup as Array<[string, Buffer]>) await redis.restore(k, 0, dump, 'REPLACE');
    },
    async restoreRecords(backup) {
      for (const [k, dump] of backup as Array<[string, Buffer]>) {
        if (k.includes('}:s:')) await redis.restore(k, 0, dump, 'REPLACE');
      }
    },
    async contents() {
      const out: Record<string, unknown> = {};
      for (const k of await keysUnder(redis, `${prefix}*`)) {
        const type = await redis.type(k);
        out[k] = type === 'hash' ? await redis.hgetall(k) : type === 'set' ? (await redis.smembers(k)).sort() : await redis.get(k);
      }
      return out;
    },
    async tombstone(tenant, blindIndex) {
      const t = await redis.hgetall(`${prefix}{${tenant}}:t:${blindIndex}`);
      if (t.g === undefined) return null;
      return { generation: Number(t.g), erasedAt: Number(t.at), requestId: t.req! };
    },
    async recordGenerations(tenant) {
      const keys = await keysUnder(redis, `${prefix}{${tenant}}:s:*`);
      const generations = await Promise.all(keys.map(async (k) => Number(await redis.hget(k, 'g'))));
      return generations.sort((a, b) => a - b);
    },
    privateSites: (tenant) => redis.smembers(`${prefix}{${tenant}}:sites`),
    async corruptWrappedKeys(tenant) {
      for (const k of await keysUnder(redis, `${prefix}{${tenant}}:s:*`)) {
        const wrapped = await redis.hget(k, 'k');
        if (wrapped !== null) await redis.hset(k, 'k', flipFirstByte(wrapped));
      }
    },
    async close() {
      for (const ring of rings) await ring.stop();
    },
  };
}

