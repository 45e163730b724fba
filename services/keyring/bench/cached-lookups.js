'use strict';
/**
 * Cached-path throughput of the key ring (SPEC K14): every lookup a cache hit, on one core.
 * `npm run build && node bench/cached-lookups.js` — uses the in-memory key ring, whose hit path is the same
 * engine and cache code as the Redis key ring's (no I/O happens on a hit). With AMPSEAL_REDIS_URL and
 * AMPSEAL_KMS_ENDPOINT set it measures the Redis key ring too, and the misses' round trips per batch.
 */
const { createMemoryKeyRing, createRedisKeyRing } = require('../dist');

const SUBJECTS = 10_000;
const BATCH = 500;
const SECONDS = 2;
const KINDS = ['uid', 'group', 'emaid', 'vehicle'];
const T0 = Date.parse('2026-11-24T10:00:00Z');

function requests() {
  const all = [];
  for (let i = 0; i < SUBJECTS; i++) {
    all.push({
      subject: { tenant: i % 3 === 0 ? 'voltway-cpo' : 'acme-cpo', kind: KINDS[i % KINDS.length], value: `04A2B3${i.toString(16).toUpperCase().padStart(8, '0')}` },
      at: T0 + i,
    });
  }
  const batches = [];
  // shuffled, so batches mix tenants, kinds and repeat subjects as real traffic does
  for (let b = 0; b < SUBJECTS / BATCH * 4; b++) {
    const batch = [];
    for (let j = 0; j < BATCH; j++) batch.push(all[(b * 7919 + j * 104729) % SUBJECTS]);
    batches.push(batch);
  }
  return { all, batches };
}

async function measure(name, ring, batchSize) {
  const { all, batches } = requests();
  for (let i = 0; i < all.length; i += BATCH) await ring.tokens(all.slice(i, i + BATCH)); // warm-up: all created
  const before = ring.stats();
  const single = batchSize === 1 ? all.map((r) => [r]) : null;
  let lookups = 0;
  let n = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(SECONDS * 1e9);
  while (process.hrtime.bigint() < deadline) {
    for (let k = 0; k < 100; k++) {
      const batch = single ? single[n++ % single.length] : batches[n++ % batches.length];
      await ring.tokens(batch);
      lookups += batch.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = ring.stats();
  const rate = Math.round(lookups / seconds);
  console.log(
    `${name.padEnd(34)} ${String(rate).padStart(10)} lookups/s  (batch ${batchSize}, hits ${after.cacheHits - before.cacheHits}, ` +
      `misses ${after.cacheMisses - before.cacheMisses}, redis round trips ${after.redisRoundTrips - before.redisRoundTrips}, kms ${after.kmsCalls - before.kmsCalls})`,
  );
  return rate;
}

async function main() {
  const memory = createMemoryKeyRing({ cacheSize: 100_000, cacheTtlMs: 600_000 });
  await memory.start();
  await measure('memory key ring, warm cache', memory, BATCH);
  await measure('memory key ring, warm cache', memory, 1);
  await memory.stop();

  const { AMPSEAL_REDIS_URL: redisUrl, AMPSEAL_KMS_ENDPOINT: kmsEndpoint } = process.env;
  if (!redisUrl || !kmsEndpoint) return;
  const keyPrefix = `bench-${process.pid}-${Date.now()}:`;
  const options = {
    redisUrl, kmsEndpoint, kmsRegion: 'eu-central-1', aliasPrefix: 'alias/ampseal/', cacheSize: 100_000,
    cacheTtlMs: 600_000, keySetRefreshMs: 3_600_000, keyPrefix, tenants: ['acme-cpo', 'voltway-cpo'],
    kmsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const redis = createRedisKeyRing(options);
  await redis.start();
  await measure('redis key ring, warm cache', redis, BATCH);
  // misses: a second instance, cold cache, every batch of 500 known subjects from Redis
  const cold = createRedisKeyRing(options);
  await cold.start();
  const { all } = requests();
  const before = cold.stats();
  const started = process.hrtime.bigint();
  for (let i = 0; i < all.length; i += BATCH) await cold.tokens(all.slice(i, i + BATCH));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = cold.stats();
  console.log(
    `redis key ring, cold cache         ${Math.round(all.length / (ms / 1000))} lookups/s  (${all.length / BATCH} batches of ${BATCH}: ` +
      `${after.redisRoundTrips - before.redisRoundTrips} round trips, ${after.kmsCalls - before.kmsCalls} kms calls)`,
  );
  await cold.stop();
  await redis.stop();
  // remove the bench's keys
  const Redis = require('ioredis');
  const client = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  client.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
