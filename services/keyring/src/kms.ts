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

export interface KmsOptions {
  readonly region: string;
  /** local-kms or a VPC endpoint; the AWS default when absent. */
  readonly endpoint?: string;
  readonly aliasPrefix: string;
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
  const client = new KMSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    // The SDK retries throttling and transient errors itself (3 attempts); bound each attempt.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: options.requestTimeoutMs ?? 10_000 },
  });
  const alias = (tenant: string): string => `${options.aliasPrefix}${tenant}`;

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
      const out = await timed('GenerateDataKey', tenant, () =>
        client.send(
          new GenerateDataKeyCommand({
            KeyId: alias(tenant),
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
      const out = await timed('Decrypt', tenant, () =>
        client.send(
          new DecryptCommand({
            // Naming the key makes KMS refuse a blob of another tenant's key (IncorrectKeyException), on top
            // of the EncryptionContext check (InvalidCiphertextException).
            KeyId: alias(tenant),
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
      client.destroy();
    },
  };
}
