import { createHash } from 'node:crypto';
import { KeyRingEngine } from './engine';
import { Instruments } from './instruments';
import { INDEX_PURPOSE, WRAPPING_PURPOSE, type KeySetSource, type TenantKeySet } from './key-set';
import type { KeyRing, KeyRingLogger } from './keyring';
import { createKmsRootKeys, type TenantKeyLocation, type TenantRootKeys } from './kms';
import { RedisStore, type StoredKeySet } from './redis-store';
import type { StoreLimits } from './store';

/**
 * The production key ring: the engine over Redis (subject keys, tombstones, key-set blobs) and KMS (tenant
 * root keys). Composition only; the semantics live in engine.ts
 * (tokens.ts, erasure.ts, key-sets.ts).
 */
export interface RedisKeyRingOptions {
  readonly redisUrl: string;
  /** Redis AUTH and the `rediss://` CA (see RedisStoreOptions). */
  readonly redisUsername?: string;
  readonly redisPassword?: string;
  readonly redisCa?: string;
  readonly kmsEndpoint?: string;
  readonly kmsRegion: string;
  /** e.g. 'alias/ampseal/': the tenant root key is `<aliasPrefix><tenant>` (K1). */
  readonly aliasPrefix: string;
  /** K51: each tenant's key and region (then `kmsRegion`, `kmsEndpoint` and `aliasPrefix` are not used). */
  readonly tenantKeys?: ReadonlyMap<string, TenantKeyLocation>;
  /** K51: region → KMS endpoint (emulators, VPC endpoints). */
  readonly regionEndpoints?: ReadonlyMap<string, string>;
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly keySetRefreshMs: number;
  readonly logger?: KeyRingLogger;
  /** Redis key prefix (K24), default 'ampseal:'. Tests use a unique one. */
  readonly keyPrefix?: string;
  /** Tenants whose key sets are unwrapped at start (K4). */
  readonly tenants?: readonly string[];
  /** Static KMS credentials (local-kms accepts any); the AWS default chain when absent. */
  readonly kmsCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly redisCommandTimeoutMs?: number;
  /** K36: how often learned private sites are re-read (default 30 s). */
  readonly siteRefreshMs?: number;
  /** Epoch ms; injectable so tests can move time (cache TTL, key-set and site refresh), as in memory mode. */
  readonly clock?: () => number;
  /** K39, K41: the co-occurrence bounds and the tombstone lifetime. */
  readonly limits?: StoreLimits;
}

function fingerprint(stored: StoredKeySet): string {
  return createHash('sha256').update(stored.wrap).update('\0').update(stored.index).digest('hex').slice(0, 16);
}

/** K1–K4: key sets stored as KMS blobs in Redis, created once, unwrapped through KMS. */
class KmsKeySets implements KeySetSource {
  constructor(
    private readonly store: RedisStore,
    private readonly root: TenantRootKeys,
    private readonly logger: KeyRingLogger | undefined,
  ) {}

  async load(tenant: string): Promise<TenantKeySet> {
    const stored = await this.store.readKeySet(tenant);
    if (stored !== null) return this.unwrap(tenant, stored);

    const [wrapping, index] = await Promise.all([
      this.root.generateDataKey(tenant, WRAPPING_PURPOSE),
      this.root.generateDataKey(tenant, INDEX_PURPOSE),
    ]);
    const ours: StoredKeySet = { wrap: wrapping.ciphertext.toString('base64'), index: index.ciphertext.toString('base64') };
    const { stored: winner, created } = await this.store.createKeySet(tenant, ours);
    if (created) {
      this.logger?.info({ event: 'keyring.keyset.created', tenant });
      return { wrappingKey: wrapping.plaintext, indexKey: index.plaintext, fingerprint: fingerprint(winner) };
    }
    // K3: another instance created it first; ours is discarded and the stored one adopted.
    wrapping.plaintext.fill(0);
    index.plaintext.fill(0);
    return this.unwrap(tenant, winner);
  }

  async stop(): Promise<void> {
    this.root.close();
  }

  private async unwrap(tenant: string, stored: StoredKeySet): Promise<TenantKeySet> {
    const [wrappingKey, indexKey] = await Promise.all([
      this.root.decrypt(tenant, WRAPPING_PURPOSE, Buffer.from(stored.wrap, 'base64')),
      this.root.decrypt(tenant, INDEX_PURPOSE, Buffer.from(stored.index, 'base64')),
    ]);
    return { wrappingKey, indexKey, fingerprint: fingerprint(stored) };
  }
}

export function createRedisKeyRing(options: RedisKeyRingOptions): KeyRing {
  const instruments = new Instruments();
  const store = new RedisStore(
    {
      redisUrl: options.redisUrl,
      username: options.redisUsername,
      password: options.redisPassword,
      ca: options.redisCa,
      keyPrefix: options.keyPrefix ?? 'ampseal:',
      commandTimeoutMs: options.redisCommandTimeoutMs,
      logger: options.logger,
      limits: options.limits,
    },
    instruments,
  );
  const root = createKmsRootKeys(
    {
      region: options.kmsRegion,
      endpoint: options.kmsEndpoint,
      aliasPrefix: options.aliasPrefix,
      credentials: options.kmsCredentials,
      ...(options.tenantKeys ? { tenantKeys: options.tenantKeys } : {}),
      ...(options.regionEndpoints ? { regionEndpoints: options.regionEndpoints } : {}),
    },
    instruments,
  );
  return new KeyRingEngine(store, new KmsKeySets(store, root, options.logger), instruments, {
    cacheSize: options.cacheSize,
    cacheTtlMs: options.cacheTtlMs,
    keySetRefreshMs: options.keySetRefreshMs,
    tenants: options.tenants,
    logger: options.logger,
    siteRefreshMs: options.siteRefreshMs,
    clock: options.clock,
  });
}
