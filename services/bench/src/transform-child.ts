import { createMemoryKeyRing } from '@ampseal/keyring';
import { benchTransform, readSubset } from './dataset';
import { TransformBench, type TransformChildConfig, type TransformChildMessage } from './transform-phase';

/**
 * The transform-alone phase (`node services/bench/dist/transform-child.js '<json>'`) in a process of its own, whose
 * heap holds the window and the key ring only. One unmeasured pass creates and caches every subject's key; then
 * each repetition is measured and reported over IPC.
 */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as TransformChildConfig;
  const send = (message: TransformChildMessage) => process.send?.(message);
  const keyring = createMemoryKeyRing({ cacheSize: 10_000_000, cacheTtlMs: 24 * 3_600_000 });
  try {
    const bench = new TransformBench(benchTransform(keyring), readSubset(config.subsetFile), config.topics);
    await bench.run(1);
    for (let r = 1; r <= config.repetitions; r++) send({ type: 'run', repetition: r, run: await bench.run(config.passes) });
    const profile = config.profileDir !== undefined ? await bench.profile(config.profileDir) : undefined;
    send({ type: 'done', ...(profile ? { profile } : {}) });
  } finally {
    await keyring.stop();
  }
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', error: (err as Error).message } satisfies TransformChildMessage);
  process.stderr.write(`transform phase failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
