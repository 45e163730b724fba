import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransform, DEFAULT_POLICY_FILE, type InputRecord, type Transform } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { createTraffic } from '@ampseal/traffic';
import { AUDIENCES } from './dataset';

/**
 * The per-event cost of token epochs (keyring SPEC K44–K47): the transform with the in-memory key ring over the same
 * traffic, once with no linkability window and once with `{ window: P90D, retention: P2Y }`, in interleaved rounds
 * (plain, epochs, epochs, plain, …) so a noisy machine's drift hits both alike; the ratio per round is what to read.
 * `npm run build && node services/bench/dist/epochs-cost.js [events] [rounds]`. No stack needed: the hit path is the
 * same code for the Redis key ring (no I/O on a hit).
 */
const EVENTS = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 6);
const CHUNK = 500;

function policyWithEpochs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-epochs-bench-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace(/^tenants: \{\}$/m, 'tenants:\n  acme-cpo:\n    linkability: { window: P90D, retention: P2Y }'));
  return file;
}

async function pass(transform: Transform, records: readonly InputRecord[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < records.length; i += CHUNK) await transform.run(records.slice(i, i + CHUNK));
  return records.length / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const records: InputRecord[] = createTraffic({ seed: 42, stations: 250, cards: 10_000, malformedRate: 0 })
    .take(EVENTS)
    .map((r, i) => ({ value: r.value, eventId: `bench:0:${i}` }));
  const cache = { cacheSize: 10_000_000, cacheTtlMs: 24 * 3_600_000 };
  const plainRing = createMemoryKeyRing(cache);
  const epochRing = createMemoryKeyRing(cache);
  const plain = createTransform({ tokens: plainRing, audiences: AUDIENCES });
  const epochs = createTransform({ tokens: epochRing, audiences: AUDIENCES, policyFile: policyWithEpochs() });
  // Warm-up: every subject's key and every epoch secret created, the JIT warm.
  await pass(plain, records);
  await pass(epochs, records);
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ([plain, epochs] as const) : ([epochs, plain] as const);
    const [a, b] = [await pass(order[0], records), await pass(order[1], records)];
    const [p, e] = round % 2 === 0 ? [a, b] : [b, a];
    ratios.push(e / p);
    process.stdout.write(`round ${round + 1}: plain ${Math.round(p)} events/s, epochs ${Math.round(e)} events/s, ratio ${(e / p).toFixed(3)}\n`);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  process.stdout.write(`median ratio epochs/plain ${median.toFixed(3)} (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)}) over ${ROUNDS} rounds of ${EVENTS} events\n`);
  await lookups(epochRing);
  await plainRing.stop();
  await epochRing.stop();
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
