import { spawnSync } from 'node:child_process';
import type { TokenRequest } from '@ampseal/core';
import { createMemoryKeyRing } from '@ampseal/keyring';

/**
 * `npm run bench -- --memory [--subjects N]`: what one cached subject costs in the key ring's in-process cache, the
 * cache every pipeline instance holds (issue 14: ≤ 300 bytes per subject with 100,000 subjects cached).
 *
 * Method: two in-memory key rings are filled with the same N subjects through the public `tokens()` call, one with a
 * cache that holds them all, one with a cache of a single entry. Everything else (the in-memory store standing in for
 * Redis, the key sets) is the same in both, so the difference of their growth, divided by N, is the cache's cost
 * per subject: the map entries, the slab, the cached outcome and its token, the normalized value. Growth is measured
 * after forced full GCs as V8 heap used + ArrayBuffer memory (the cache's typed arrays live outside the V8 heap and
 * count too). Runs in a child started with --expose-gc and the pod's heap flags.
 */

/**
 * The kinds of the subjects the bench traffic yields and their shares: distinct subjects of the quick run's dataset
 * (seed 42, 2,000 stations, 20,000 cards, 100,000 events: 5,845 subjects). The values have the traffic's shapes and
 * lengths after normalization (mean lengths there: uid 13.7, emaid 15.0, group 11.0, vehicle 12, extra 12, driver 11).
 */
export const SUBJECT_MIX: ReadonlyArray<{ readonly kind: string; readonly count: number; readonly value: (h: number, i: number) => string }> = [
  { kind: 'uid', count: 2515, value: (h) => `${hex(h, 8)}${hex(h ^ 0x5bd1e995, 6)}` }, // 7-byte RFID UID
  { kind: 'emaid', count: 1662, value: (h, i) => `DE${PARTIES[h % PARTIES.length]}C${String(i).padStart(8, '0')}${CHECK[h % CHECK.length]}` },
  { kind: 'group', count: 591, value: (h) => `G${hex(h, 8)}${hex(h >>> 7, 2)}` },
  { kind: 'vehicle', count: 516, value: (h) => `${hex(h, 8)}${hex(h >>> 11, 4)}` }, // EV MAC address
  { kind: 'extra', count: 290, value: (h) => `${hex(h, 8)}${hex(h >>> 13, 4)}` },
  { kind: 'driver', count: 271, value: (_h, i) => `DRV-${String(i).padStart(7, '0')}` },
];
const PARTIES = ['EMS', 'TNM', 'ABC', 'XYZ', '8KW'];
const CHECK = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
const MIX_TOTAL = SUBJECT_MIX.reduce((sum, m) => sum + m.count, 0);
/** driver values carry i in 7 digits: distinct below this. */
export const MAX_SUBJECTS = 10_000_000;

function hex(n: number, digits: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0').slice(8 - digits);
}

/**
 * Subject i of a deterministic, distinct set with the traffic's kind mix and value shapes. Distinct: the uid, group,
 * vehicle and extra values start with the 32-bit odd-multiplier hash of i (a bijection), emaid and driver carry i.
 */
export function subjectAt(i: number, tenant: string): { tenant: string; kind: string; value: string } {
  if (!Number.isSafeInteger(i) || i < 0 || i >= MAX_SUBJECTS) throw new RangeError(`subject index must be below ${MAX_SUBJECTS}`);
  const h = Math.imul(i, 0x9e3779b1) >>> 0;
  let pick = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0) % MIX_TOTAL;
  for (const m of SUBJECT_MIX) {
    if (pick < m.count) return { tenant, kind: m.kind, value: m.value(h, i) };
    pick -= m.count;
  }
  throw new Error('unreachable');
}

/** Memory growth of one key ring while it took in N subjects (bytes, after full GCs). */
export interface Growth {
  readonly heapUsed: number;
  readonly arrayBuffers: number;
}

export interface KeyCacheMeasurement {
  readonly subjects: number;
  /** Bytes per cached subject: the cache-all ring's growth minus the one-entry ring's, per subject. */
  readonly keyCacheBytesPerSubject: number;
  /** Of which outside the V8 heap (typed arrays). */
  readonly keyCacheArrayBufferBytesPerSubject: number;
  /** What the in-memory store (Redis's stand-in, not in a pipeline) grew per subject: context only. */
  readonly memoryStoreBytesPerSubject: number;
  readonly cacheAll: Growth;
  readonly cacheOne: Growth;
}

/** The per-subject figures from the two rings' growth. Pure. */
export function perSubject(subjects: number, cacheAll: Growth, cacheOne: Growth): KeyCacheMeasurement {
  if (!(subjects > 0)) throw new RangeError('subjects must be positive');
  const total = (g: Growth) => g.heapUsed + g.arrayBuffers;
  return {
    subjects,
    keyCacheBytesPerSubject: (total(cacheAll) - total(cacheOne)) / subjects,
    keyCacheArrayBufferBytesPerSubject: (cacheAll.arrayBuffers - cacheOne.arrayBuffers) / subjects,
    memoryStoreBytesPerSubject: total(cacheOne) / subjects,
    cacheAll,
    cacheOne,
  };
}

const TENANT = 'acme-cpo';
const BATCH = 500;
const AT = Date.parse('2026-11-24T10:00:00Z');

function usage(gc: () => void): Growth {
  // Several passes: weak references and finalizers need more than one full GC to settle.
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

async function growth(subjects: number, cacheSize: number, gc: () => void): Promise<Growth> {
  const ring = createMemoryKeyRing({ cacheSize, cacheTtlMs: 3_600_000 });
  try {
    // The key set and the first slab exist before the baseline (a subject outside the N).
    await ring.tokens([{ subject: subjectAt(subjects, TENANT), at: AT } as TokenRequest]);
    const before = usage(gc);
    for (let from = 0; from < subjects; from += BATCH) {
      const batch: TokenRequest[] = [];
      for (let i = from; i < Math.min(subjects, from + BATCH); i++) batch.push({ subject: subjectAt(i, TENANT), at: AT + i } as TokenRequest);
      await ring.tokens(batch);
    }
    const after = usage(gc);
    if (ring.stats().cacheMisses < subjects) throw new Error('the subjects were not all new');
    return { heapUsed: after.heapUsed - before.heapUsed, arrayBuffers: after.arrayBuffers - before.arrayBuffers };
  } finally {
    await ring.stop();
  }
}

/** Runs in the --expose-gc child. The one-entry ring first, so the cache-all ring does not start on its leftovers. */
export async function measureKeyCache(subjects: number, gc: () => void): Promise<KeyCacheMeasurement> {
  const cacheOne = await growth(subjects, 1, gc);
  const cacheAll = await growth(subjects, subjects + 1, gc);
  return perSubject(subjects, cacheAll, cacheOne);
}

export const KEY_CACHE_TARGET_BYTES = 300;

/** The `--memory` mode of `npm run bench`: the measurement in a child with --expose-gc, printed. */
export function runMemoryMode(subjects: number, nodeOptions: string): number {
  const child = spawnSync(process.execPath, ['--expose-gc', ...nodeOptions.split(/\s+/).filter(Boolean), __filename, String(subjects)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) {
    process.stderr.write(`[bench] memory measurement failed (exit ${child.status ?? child.signal})\n`);
    return 1;
  }
  const m = JSON.parse(child.stdout) as KeyCacheMeasurement;
  const w = (s: string) => process.stdout.write(s);
  const verdict = m.keyCacheBytesPerSubject <= KEY_CACHE_TARGET_BYTES ? 'met' : 'missed';
  w(`\nkey ring in-process cache, ${m.subjects.toLocaleString('en-US')} distinct subjects (Node ${process.version}, NODE_OPTIONS "${nodeOptions}")\n`);
  w(`  bytes per cached subject   ${m.keyCacheBytesPerSubject.toFixed(0)}   (of which typed arrays ${m.keyCacheArrayBufferBytesPerSubject.toFixed(0)}; target ≤ ${KEY_CACHE_TARGET_BYTES}: ${verdict})\n`);
  w(`  for ${m.subjects.toLocaleString('en-US')} subjects          ${((m.keyCacheBytesPerSubject * m.subjects) / 2 ** 20).toFixed(1)} MiB\n`);
  w(`  (in-memory store, not in a pipeline: ${m.memoryStoreBytesPerSubject.toFixed(0)} bytes per subject)\n`);
  w(`${JSON.stringify(m)}\n`);
  return 0;
}

if (require.main === module) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  measureKeyCache(Number(process.argv[2] ?? 100_000), gc).then(
    (m) => process.stdout.write(JSON.stringify(m)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
