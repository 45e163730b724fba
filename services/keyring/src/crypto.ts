import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AmpsealError } from '@ampseal/core';

/**
 * The key ring's cryptography (SPEC K7–K10): pure functions over node:crypto, no I/O, no state.
 * Every input that is not a key is a string so callers never build byte concatenations themselves.
 */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
export const TOKEN_BYTES = 16;

const TOKEN_LABEL = 'ampseal/token/v1\0';
const AAD_LABEL = 'ampseal/subject-key/v1\0';

/**
 * K9: HMAC-SHA256(index key, kind ‖ 0x00 ‖ value). Kinds never contain NUL and the value comes last, so the
 * encoding is injective. One `update` call: each call crosses into C++, and this runs once per cache miss.
 */
export function blindIndex(indexKey: Buffer, kind: string, value: string): Buffer {
  return createHmac('sha256', indexKey).update(`${kind}\0${value}`, 'utf8').digest();
}

/** The blind index as it appears in Redis key names (43 characters). Internal only (K9). */
export function blindIndexText(indexKey: Buffer, kind: string, value: string): string {
  return blindIndex(indexKey, kind, value).toString('base64url');
}

/** K10: base64url of the first 16 bytes of HMAC-SHA256(subject key, label ‖ kind ‖ 0x00 ‖ value). */
export function token(subjectKey: Buffer, kind: string, value: string): string {
  const mac = createHmac('sha256', subjectKey).update(`${TOKEN_LABEL}${kind}\0${value}`, 'utf8').digest();
  return mac.subarray(0, TOKEN_BYTES).toString('base64url');
}

/** K8: the AAD that binds a wrapped subject key to its tenant, blind index and generation. */
export function subjectKeyAad(tenant: string, blindIndex: string, generation: number): Buffer {
  const text = Buffer.from(`${AAD_LABEL}${tenant}\0${blindIndex}`, 'utf8');
  const aad = Buffer.allocUnsafe(text.length + 4);
  text.copy(aad, 0);
  aad.writeUInt32BE(generation, text.length);
  return aad;
}

/**
 * K8: AES-256-GCM wrap under the tenant wrapping key; returns nonce ‖ ciphertext ‖ tag. The nonce is
 * random per wrap (96 bits); with at most a few billion wraps per tenant key the collision bound holds.
 */
export function wrapSubjectKey(
  wrappingKey: Buffer,
  subjectKey: Buffer,
  aad: Buffer,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): Buffer {
  if (subjectKey.length !== KEY_BYTES || nonce.length !== NONCE_BYTES) {
    throw new AmpsealError('INTERNAL', 'subject key must be 32 bytes and nonce 12 bytes');
  }
  const cipher = createCipheriv('aes-256-gcm', wrappingKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(subjectKey);
  cipher.final();
  return Buffer.concat([nonce, body, cipher.getAuthTag()], WRAPPED_BYTES);
}

/** K8: the inverse of wrapSubjectKey; a wrong key, AAD or any flipped bit fails with KEY_INTEGRITY. */
export function unwrapSubjectKey(wrappingKey: Buffer, wrapped: Buffer, aad: Buffer): Buffer {
  if (wrapped.length !== WRAPPED_BYTES) throw new AmpsealError('KEY_INTEGRITY', 'wrapped subject key has a wrong length');
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrappingKey, wrapped.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(wrapped.subarray(NONCE_BYTES + KEY_BYTES));
    const key = decipher.update(wrapped.subarray(NONCE_BYTES, NONCE_BYTES + KEY_BYTES));
    decipher.final();
    return key;
  } catch {
    // No cause attached: OpenSSL's message carries nothing useful and the inputs must not travel (K26).
    throw new AmpsealError('KEY_INTEGRITY', 'subject key did not authenticate');
  }
}

/** K7: a fresh 256-bit subject key. */
export function newSubjectKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

const LINK_KEY_INFO = 'ampseal/link-key/v1';
const LINK_LABEL = 'ampseal/link/v1\0';
const SITE_LABEL = 'ampseal/site/v1\0';

/**
 * K33: the tenant's link key, HKDF-SHA256 of the index key with its own info label. Derived, not stored: no new KMS
 * data key, no change to stored key sets, and it goes wherever the index key goes (replaced key set → new link key).
 */
export function linkKey(indexKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', indexKey, Buffer.alloc(0), LINK_KEY_INFO, KEY_BYTES));
}

/**
 * K34: link token of an operational id: base64url of the first 16 bytes of HMAC-SHA256(link key, label ‖ domain ‖
 * 0x00 ‖ scope ‖ 0x00 ‖ value), domain `public` or `private`. Scope and domain never contain NUL and the value comes
 * last, so the encoding is injective.
 */
export function linkToken(key: Buffer, privateSite: boolean, scope: string, value: string): string {
  return createHmac('sha256', key)
    .update(`${LINK_LABEL}${privateSite ? 'private' : 'public'}\0${scope}\0${value}`, 'utf8')
    .digest()
    .subarray(0, TOKEN_BYTES)
    .toString('base64url');
}

/** K35: what the store keeps of a private site: HMAC-SHA256(link key, label ‖ id), base64url. Never the id. */
export function siteHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(`${SITE_LABEL}${value}`, 'utf8').digest().toString('base64url');
}

const EPOCH_TOKEN_LABEL = 'ampseal/epoch-token/v1\0';
const EPOCH_AAD_LABEL = 'ampseal/epoch-secret/v1\0';

/**
 * K45: a subject's token in an epoch: base64url of the first 16 bytes of HMAC-SHA256(epoch secret, label ‖ subject
 * token). Computing it needs both the subject key (for the subject token, K10) and the epoch secret: destroying either
 * makes it unrecomputable.
 */
export function epochToken(epochSecret: Buffer, subjectToken: string): string {
  return createHmac('sha256', epochSecret).update(`${EPOCH_TOKEN_LABEL}${subjectToken}`, 'utf8').digest().subarray(0, TOKEN_BYTES).toString('base64url');
}

/** K47: the AAD that binds a wrapped epoch secret to its tenant and epoch (window and index). */
export function epochSecretAad(tenant: string, epochName: string): Buffer {
  return Buffer.from(`${EPOCH_AAD_LABEL}${tenant}\0${epochName}`, 'utf8');
}
