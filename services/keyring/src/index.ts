/** @ampseal/keyring: the only holder of key material (design §4, §5; SPEC.md). */
export type {
  ApplyTombstonesResult,
  EpochDestruction,
  EpochState,
  ErasureRequest,
  ErasureResult,
  KeyRing,
  KeyRingLogger,
  KeyRingStats,
  LinkedSubjectPlan,
  SubjectPlan,
  SubjectPlanState,
  SubjectEpochTokens,
  SubjectId,
  SubjectTokenState,
  TombstoneRecord,
} from './keyring';
export { createMemoryKeyRing, type MemoryKeyRing, type MemoryKeyRingOptions } from './memory';
export { DEFAULT_COOCCURRENCE_LIMITS, type CooccurrenceLimits, type StoreLimits } from './store';
export { createRedisKeyRing, type RedisKeyRingOptions } from './redis-keyring';
export { KEYRING_CHANNEL, type KeyRingEvent } from './instruments';
export { isTombstoneRecord } from './erasure';
export { epochJournalKey, isEpochDestructionRecord, type EpochDestructionRecord } from './epochs';
