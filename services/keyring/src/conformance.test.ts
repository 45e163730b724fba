import { describeKeyRingConformance, type ConformanceStore } from './conformance';
import { KeyRingEngine } from './engine';
import { Instruments } from './instruments';
import type { KeySetSource } from './key-set';
import type { KeyRing } from './keyring';
import { MemoryKeySets, MemorySubjectStore, type MemorySnapshot } from './memory';
import type { SubjectStore } from './store';

/**
 * The conformance suite over the in-memory key ring. "Another instance" is another engine over the same store
 * and key sets, as another process shares Redis and KMS; only `close` stops the shared store.
 */
async function openMemory(): Promise<ConformanceStore> {
  const store = new MemorySubjectStore();
  const keySets = new MemoryKeySets();
  const shared: SubjectStore = {
    start: async () => {},
    stop: async () => {},
    subjects: (batches) => store.subjects(batches),
    readErasure: (tenant, requestId, blindIndexes) => store.readErasure(tenant, requestId, blindIndexes),
    erase: (tenant, write) => store.erase(tenant, write),
    applyTombstones: (records) => store.applyTombstones(records),
    privateSites: (tenant) => store.privateSites(tenant),
    addPrivateSites: (tenant, hashes) => store.addPrivateSites(tenant, hashes),
  };
  const sharedKeySets: KeySetSource = { load: (tenant) => keySets.load(tenant), stop: async () => {} };
  const rings: KeyRing[] = [];
  return {
    async ring(options) {
      const ring = new KeyRingEngine(shared, sharedKeySets, new Instruments(), {
        cacheSize: 100_000,
        cacheTtlMs: options.cacheTtlMs ?? 60_000,
        keySetRefreshMs: 3_600_000,
        clock: options.clock,
        logger: options.logger,
        siteRefreshMs: options.siteRefreshMs,
      });
      rings.push(ring);
      await ring.start();
      return ring;
    },
    backup: async () => store.snapshot(),
    restore: async (backup) => store.restore(backup as MemorySnapshot),
    restoreRecords: async (backup) => store.restoreRecords((backup as MemorySnapshot).records),
    contents: async () => ({ ...store.snapshot(), sites: await store.privateSites('acme-cpo') }),
    tombstone: async (tenant, blindIndex) => store.snapshot().tombstones.get(`${tenant}\0${blindIndex}`) ?? null,
    recordGenerations: async (tenant) =>
      [...store.snapshot().records]
        .filter(([key]) => key.startsWith(`${tenant}\0`))
        .map(([, record]) => record.generation)
        .sort((a, b) => a - b),
    privateSites: (tenant) => store.privateSites(tenant),
    async close() {
      for (const ring of rings) await ring.stop();
      await store.stop();
      await keySets.stop();
    },
  };
}

describeKeyRingConformance('in-memory store', openMemory);
