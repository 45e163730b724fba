/**
 * A tenant's key set (SPEC K1–K4): the wrapping key and the index key, in memory only.
 * `fingerprint` names the stored ciphertexts (not the keys), so a refresh notices a replaced key set.
 */
export interface TenantKeySet {
  readonly wrappingKey: Buffer;
  readonly indexKey: Buffer;
  readonly fingerprint: string;
}

/** Where key sets come from: KMS + Redis in production, local random keys in memory mode. */
export interface KeySetSource {
  /** Creates the tenant's key set if absent (K3) and returns it unwrapped. */
  load(tenant: string): Promise<TenantKeySet>;
  stop(): Promise<void>;
}

/** EncryptionContext purposes (K1). */
export const WRAPPING_PURPOSE = 'subject-key-wrapping';
export const INDEX_PURPOSE = 'blind-index';

/** K24: tenant names end up in Redis hash tags, AADs and KMS aliases: the envelope's rule, defined once in core. */
export { isTenant as isTenantName } from '@ampseal/core';
