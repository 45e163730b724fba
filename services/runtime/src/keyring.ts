import { createMemoryKeyRing, createRedisKeyRing, type KeyRing } from '@ampseal/keyring';
import type { Config } from './config';
import type { Logger } from './logger';

export type KeyRingKind = 'memory' | 'redis';

/**
 * The key ring a process uses: `memory` (ephemeral keys, tokens stable within one run) or `redis` (the
 * real key ring: Redis + KMS from the configuration). Started before it is returned.
 */
export async function openKeyRing(kind: KeyRingKind, config: Config, logger: Logger): Promise<KeyRing> {
  const log = logger.child({ component: 'keyring' });
  const keyring =
    kind === 'memory'
      ? createMemoryKeyRing({ cacheSize: config.keyCacheSize, cacheTtlMs: config.keyCacheTtlMs, logger: log })
      : createRedisKeyRing({
          redisUrl: config.redisUrl,
          kmsRegion: config.kmsRegion,
          aliasPrefix: config.kmsAliasPrefix,
          cacheSize: config.keyCacheSize,
          cacheTtlMs: config.keyCacheTtlMs,
          keySetRefreshMs: config.keySetRefreshMs,
          tenants: config.tenants,
          logger: log,
          ...(config.kmsEndpoint ? { kmsEndpoint: config.kmsEndpoint } : {}),
          // Real KMS (and VPC endpoints) speak https and take the AWS default credential chain; a plain-http
          // endpoint is an emulator such as local-kms, which accepts any credentials.
          ...(config.kmsEndpoint?.startsWith('http:') ? { kmsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
        });
  await keyring.start();
  return keyring;
}
