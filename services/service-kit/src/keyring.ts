import type { Component, Logger } from '@ampseal/foundation';
import { createMemoryKeyRing, createRedisKeyRing, type KeyRing, type StoreLimits } from '@ampseal/keyring';
import type { KeyRingSection } from './config';

export type KeyRingKind = 'memory' | 'redis';

/** K39, K41: the store's bounds, from the configuration. */
function limitsOf(config: KeyRingSection): StoreLimits {
  return {
    tombstoneLifetimeMs: config.tombstoneLifetimeMs,
    cooccurrence: {
      ttlMs: config.cooccurrenceTtlMs,
      maxLinksPerSubject: config.cooccurrenceMaxLinks,
      maxSubjectsPerTenant: config.cooccurrenceMaxSubjects,
    },
  };
}

function createKeyRing(kind: KeyRingKind, config: KeyRingSection, logger: Logger): KeyRing {
  const log = logger.child({ component: 'keyring' });
  return kind === 'memory'
    ? createMemoryKeyRing({ cacheSize: config.keyCacheSize, cacheTtlMs: config.keyCacheTtlMs, logger: log, limits: limitsOf(config) })
    : createRedisKeyRing({
        limits: limitsOf(config),
        redisUrl: config.redisUrl,
        redisUsername: config.redisUsername,
        redisPassword: config.redisPassword,
        redisCa: config.redisCa,
        kmsRegion: config.kmsRegion,
        aliasPrefix: config.kmsAliasPrefix,
        cacheSize: config.keyCacheSize,
        cacheTtlMs: config.keyCacheTtlMs,
        keySetRefreshMs: config.keySetRefreshMs,
        tenants: config.tenants,
        logger: log,
        ...(config.kmsEndpoint ? { kmsEndpoint: config.kmsEndpoint } : {}),
        ...(config.tenantKeys ? { tenantKeys: config.tenantKeys.tenants, regionEndpoints: config.tenantKeys.endpoints } : {}),
        // Real KMS (and VPC endpoints) take the AWS default credential chain; an emulator such as local-kms
        // accepts any credentials, and the chain would find none on a developer's machine.
        ...(config.kmsEmulator ? { kmsCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      });
}

/**
 * The key ring a process uses: `memory` (ephemeral keys, tokens stable within one run) or `redis` (the
 * real key ring: Redis + KMS from the configuration). Started before it is returned (one-shot CLI commands).
 */
export async function openKeyRing(kind: KeyRingKind, config: KeyRingSection, logger: Logger): Promise<KeyRing> {
  const keyring = createKeyRing(kind, config, logger);
  try {
    await keyring.start();
  } catch (err) {
    // A half-started key ring (Redis refused the login, KMS down) holds clients and timers that would keep a
    // failed process alive: released before the failure goes up.
    await keyring.stop().catch(() => undefined);
    throw err;
  }
  return keyring;
}

/**
 * The key ring as a lifecycle component: started before whatever needs it (the stream's handler is built from
 * `ring` after this started, so no handler reaches the key ring through a late-bound closure).
 */
export class KeyRingComponent implements Component {
  readonly name = 'keyring';
  private keyring: KeyRing | undefined;

  constructor(
    private readonly kind: KeyRingKind,
    private readonly config: KeyRingSection,
    private readonly logger: Logger,
  ) {}

  /** The started key ring; asking before start is a wiring mistake. */
  get ring(): KeyRing {
    if (!this.keyring) throw new Error('key ring asked for before it started');
    return this.keyring;
  }

  get started(): boolean {
    return this.keyring !== undefined;
  }

  async start(): Promise<void> {
    this.keyring = await openKeyRing(this.kind, this.config, this.logger);
  }

  async stop(): Promise<void> {
    const keyring = this.keyring;
    this.keyring = undefined;
    await keyring?.stop();
  }
}
