import { createTransform } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';
import { AUDIENCES, benchTransform, readSubset } from './dataset';
import { TransformBench, type TransformChildConfig, type TransformChildMessage } from './transform-phase';

const cacheOptions = { cacheSize: 10_000_000, cacheTtlMs: 24 * 3_600_000 };

/**
 * The transform-alone phase (`node services/bench/dist/transform-child.js '<json>'`) in a process of its own, whose
 * heap holds the window and the key ring only. One unmeasured pass creates and caches every subject's key; then
 * each repetition is measured and reported over IPC.
 */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as TransformChildConfig;
  const send = (message: TransformChildMessage) => process.send?.(message);
  const keyring = createMemoryKeyRing(cacheOptions);
  const epochRing = createMemoryKeyRing(cacheOptions);
  try {
    const records = readSubset(config.subsetFile);
    const bench = new TransformBench(benchTransform(keyring), records, config.topics);
    await bench.run(1);
    for (let r = 1; r <= config.repetitions; r++) send({ type: 'run', repetition: r, run: await bench.run(config.passes) });
    const profile = config.profileDir !== undefined ? await bench.profile(config.profileDir) : undefined;
    if (config.epochsPolicyFile !== undefined) {
      // Token epochs' per-event cost (issue 16): the same window through a transform whose tenant has a linkability
      // window, its own key ring warmed by one pass (every subject key and epoch secret cached), in rounds that
      // alternate which goes first so the machine's drift hits both alike.
      const epochs = new TransformBench(createTransform({ tokens: epochRing, audiences: AUDIENCES, policyFile: config.epochsPolicyFile }), records, config.topics);
      await epochs.run(1);
      for (let r = 1; r <= config.repetitions; r++) {
        const [first, second] = r % 2 === 1 ? [bench, epochs] : [epochs, bench];
        const a = await first.run(config.passes);
        const b = await second.run(config.passes);
        const [plain, withEpochs] = r % 2 === 1 ? [a, b] : [b, a];
        send({
          type: 'epochs',
          round: r,
          result: { plain_events_per_s: plain.events_per_s, epochs_events_per_s: withEpochs.events_per_s, ratio: withEpochs.events_per_s / plain.events_per_s },
        });
      }
    }
    send({ type: 'done', ...(profile ? { profile } : {}) });
  } finally {
    await keyring.stop();
    await epochRing.stop();
  }
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', error: (err as Error).message } satisfies TransformChildMessage);
  process.stderr.write(`transform phase failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
