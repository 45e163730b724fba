import { createMemoryKeyRing } from '@ampseal/keyring';

/**
 * The key ring's share of the per-event cost of token epochs (keyring SPEC K44–K47): ns per cached lookup with and
 * without an epoch, in interleaved rounds. The transform's whole per-event cost is measured by `npm run bench` (the
 * transform phase's epochs rounds, `transform_epochs_to_plain`). `npm run build && node services/bench/dist/epochs-cost.js`.
 * No stack needed: a cache hit is the same code for the Redis key ring (no I/O).
 */
const CHUNK = 500;

async function main(): Promise<void> {
  const ring = createMemoryKeyRing({ cacheSize: 10_000_000, cacheTtlMs: 24 * 3_600_000 });
  try {
    await lookups(ring);
  } finally {
    await ring.stop();
  }
}

/** The key ring alone, cache hits only: ns per lookup with and without an epoch, interleaved rounds. */
async function lookups(ring: ReturnType<typeof createMemoryKeyRing>): Promise<void> {
  const at = Date.now() - 3_600_000;
  const spec = { windowMs: 90 * 86_400_000, retentionMs: 730 * 86_400_000 };
  const batches = Array.from({ length: 40 }, (_, b) =>
    Array.from({ length: CHUNK }, (_, i) => ({ subject: { tenant: 'acme-cpo', kind: 'uid' as const, value: `04A2B3${((b * CHUNK + i) % 10_000).toString(16).padStart(8, '0')}` }, at: at + i })),
  );
  const withEpoch = batches.map((batch) => batch.map((r) => ({ ...r, epoch: spec })));
  const time = async (set: typeof batches): Promise<number> => {
    const started = performance.now();
    for (let k = 0; k < 10; k++) for (const batch of set) await ring.tokens(batch);
    return ((performance.now() - started) * 1e6) / (10 * set.length * CHUNK);
  };
  await time(batches);
  await time(withEpoch);
  const extra: number[] = [];
  for (let round = 0; round < 10; round++) {
    let plainNs: number;
    let epochNs: number;
    if (round % 2 === 0) {
      plainNs = await time(batches);
      epochNs = await time(withEpoch);
    } else {
      epochNs = await time(withEpoch);
      plainNs = await time(batches);
    }
    extra.push(epochNs - plainNs);
    process.stdout.write(`lookups round ${round + 1}: plain ${plainNs.toFixed(0)} ns, epoch ${epochNs.toFixed(0)} ns per lookup (cache hit)\n`);
  }
  const sorted = [...extra].sort((x, y) => x - y);
  process.stdout.write(`median extra cost of an epoch per cached lookup: ${sorted[5]!.toFixed(0)} ns\n`);
}

void main();
