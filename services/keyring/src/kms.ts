import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AmpsealError } from '@ampseal/core';
import type { Instruments } from './instruments';

/**
 * The tenant root keys in AWS KMS (SPEC K1, K4–K6). The only module that imports the KMS client (K28): the
 * rest of the key ring sees two calls and AmpsealErrors.
 */
export interface DataKey {
  readonly plaintext: Buffer;
  readonly ciphertext: Buffer;
}

export interface TenantRootKeys {
  /** A fresh 256-bit data key under `<aliasPrefix><tenant>`, EncryptionContext {tenant, purpose}. */
  generateDataKey(tenant: string, purpose: string): Promise<DataKey>;
  /** Unwraps a blob under the same alias and EncryptionContext; another tenant's blob fails KEY_INTEGRITY. */
  decrypt(tenant: string, purpose: string, ciphertext: Buffer): Promise<Buffer>;
  close(): void;
}

/** K51: a tenant's root key where the tenant says: an alias or key ARN, in its region. */
export interface TenantKeyLocation {
  readonly key: string;
  readonly region: string;
}

export interface KmsOptions {
  readonly region: string;
  /** local-kms or a VPC endpoint; the AWS default when absent. */
  readonly endpoint?: string;
  readonly aliasPrefix: string;
  /**
   * K51: per tenant, its key and region. When set, a tenant not in it has no root key (TENANT_KEY_REFUSED, per record),
   * each region gets its own client, and `region`, `endpoint` and `aliasPrefix` are not used.
   */
  readonly tenantKeys?: ReadonlyMap<string, TenantKeyLocation>;
  /** K51: region → endpoint (an emulator or a VPC endpoint); a region not in it uses AWS's regional endpoint. */
  readonly regionEndpoints?: ReadonlyMap<string, string>;
  /** Static credentials (local-kms accepts any); the AWS default chain when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly requestTimeoutMs?: number;
}

// KMS refused the blob itself: another tenant's, another purpose's, or tampered. Retrying cannot help.
const INTEGRITY_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'InvalidKeyUsageException']);
// KMS refused the tenant's root key itself: no such alias, disabled, pending deletion, access denied. Retrying cannot
// help until an operator acts, and a retried record would stall its partition (and, on the requests topic, every
// later erasure): the tenant's records fail one by one instead (K6).
const REFUSED_ERRORS = new Set(['NotFoundException', 'DisabledException', 'KMSInvalidStateException', 'AccessDeniedException']);

/**
 * K6: a refused root key is TENANT_KEY_REFUSED (per record, not retriable); everything else — network, timeouts,
 * throttling, KMS internal errors — is KMS_UNAVAILABLE: fail closed and retry. No cause is attached; the detail
 * names only the error class.
 */
function classify(operation: string, err: unknown): AmpsealError {
  const name = err instanceof Error ? err.name : 'unknown';
  const code = (err as { code?: unknown } | null)?.code;
  const label = typeof code === 'string' && /^[A-Z_]{3,40}$/.test(code) ? `${name}/${code}` : name;
  if (INTEGRITY_ERRORS.has(name)) return new AmpsealError('KEY_INTEGRITY', `KMS ${operation} refused the key set (${name})`);
  if (REFUSED_ERRORS.has(name)) return new AmpsealError('TENANT_KEY_REFUSED', `KMS ${operation} refused the root key (${name})`);
  return new AmpsealError('KMS_UNAVAILABLE', `${operation} failed (${label})`);
}

export function createKmsRootKeys(options: KmsOptions, instruments: Instruments): TenantRootKeys {
  // K51: one client per region, made at first use of the region; never another region's client for a tenant.
  const clients = new Map<string, KMSClient>();
  const clientFor = (region: string, endpoint: string | undefined): KMSClient => {
    let client = clients.get(region);
    if (client === undefined) {
      client = new KMSClient({
        region,
        ...(endpoint ? { endpoint } : {}),
        ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
        // The SDK retries throttling and transient errors itself (3 attempts); bound each attempt.
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 3_000, requestTimeout: options.requestTimeoutMs ?? 10_000 },
      });
      clients.set(region, client);
    }
    return client;
  };
  /** The tenant's key id and the client of its region. */
  const locate = (tenant: string): { keyId: string; client: KMSClient } => {
    if (options.tenantKeys === undefined) return { keyId: `${options.aliasPrefix}${tenant}`, client: clientFor(options.region, options.endpoint) };
    const location = options.tenantKeys.get(tenant);
    // K51: a tenant without a key entry has no root key: its records are quarantined one by one (K6), nothing waits.
    if (location === undefined) throw new AmpsealError('TENANT_KEY_REFUSED', 'no KMS key is configured for the tenant (AMPSEAL_TENANT_KEYS_FILE)');
    return { keyId: location.key, client: clientFor(location.region, options.regionEndpoints?.get(location.region)) };
  };

  async function timed<T>(operation: 'GenerateDataKey' | 'Decrypt', tenant: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      instruments.kms(operation, tenant, performance.now() - started, true);
      return result;
    } catch (err) {
      instruments.kms(operation, tenant, performance.now() - started, false);
      throw classify(operation, err);
    }
  }

  return {
    async generateDataKey(tenant, purpose) {
      const { keyId, client } = locate(tenant);
      const out = await timed('GenerateDataKey', tenant, () =>
        client.send(
          new GenerateDataKeyCommand({
            KeyId: keyId,
            KeySpec: 'AES_256',
            EncryptionContext: { tenant, purpose },
          }),
        ),
      );
      if (!out.Plaintext || !out.CiphertextBlob || out.Plaintext.length !== 32) {
        throw new AmpsealError('KMS_UNAVAILABLE', 'GenerateDataKey returned no key');
      }
      const plaintext = Buffer.from(out.Plaintext);
      out.Plaintext.fill(0);
      return { plaintext, ciphertext: Buffer.from(out.CiphertextBlob) };
    },

    async decrypt(tenant, purpose, ciphertext) {
      const { keyId, client } = locate(tenant);
      const out = await timed('Decrypt', tenant, () =>
        client.send(
          new DecryptCommand({
            // Naming the key makes KMS refuse a blob of another tenant's key (IncorrectKeyException), on top
            // of the EncryptionContext check (InvalidCiphertextException).
            KeyId: keyId,
            CiphertextBlob: ciphertext,
            EncryptionContext: { tenant, purpose },
          }),
        ),
      );
      if (!out.Plaintext || out.Plaintext.length !== 32) throw new AmpsealError('KEY_INTEGRITY', 'KMS Decrypt returned no 256-bit key');
      const plaintext = Buffer.from(out.Plaintext);
      out.Plaintext.fill(0);
      return plaintext;
    },

    close() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}
