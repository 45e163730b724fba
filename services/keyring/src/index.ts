/** @ampseal/keyring: the only holder of key material (design §4, §5; SPEC.md). */
export type {
  ErasureRequest,
  ErasureResult,
  KeyRing,
  KeyRingLogger,
  KeyRingStats,
  SubjectId,
  SubjectTokenState,
} from './keyring';
export { createMemoryKeyRing, type MemoryKeyRing, type MemoryKeyRingOptions } from './memory';
export { createRedisKeyRing, type RedisKeyRingOptions } from './redis-keyring';
export { KEYRING_CHANNEL, type KeyRingEvent } from './instruments';
