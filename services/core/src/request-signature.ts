import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed data-subject requests (docs/erasure.md, "Who may write requests"). Whoever can write
 * `privacy.erasure.requests.v1` can erase or un-restrict anyone, so beside the topic's ACL the shredder acts only
 * on requests signed by a producer that holds the signing key: the admin API and the CLI.
 *
 * The signature is HMAC-SHA256 over a fixed context string followed by the record value exactly as written (the
 * canonical bytes are the bytes on the wire: no JSON re-serialization that two JSON libraries could disagree on),
 * carried in the record header `ampseal-sig` as `v1=<base64url>`. The context string keeps a signature over a
 * request from ever verifying as anything else signed with the same key.
 */
export const REQUEST_SIGNATURE_HEADER = 'ampseal-sig';

const CONTEXT = Buffer.from('ampseal.subject-request.v1\n', 'utf8');
const PREFIX = 'v1=';
/** SHA-256 → 32 bytes → 43 base64url characters, no padding. */
const SIGNATURE = /^v1=[A-Za-z0-9_-]{43}$/;

/** A signing key's smallest length: as many bytes as the HMAC output, so the key is never the weak part. */
export const MIN_SIGNING_KEY_BYTES = 32;

function mac(key: Buffer, value: Buffer): Buffer {
  return createHmac('sha256', key).update(CONTEXT).update(value).digest();
}

/** The `ampseal-sig` header value for a request record's value. */
export function signRequest(key: Buffer, value: Buffer | string): string {
  return PREFIX + mac(key, typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64url');
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly problem: 'unsigned' | 'malformed' | 'mismatch' };

/**
 * Whether `header` is a valid signature of `value` under one of `keys` (the current key first, then the previous
 * one during a rotation). Constant time per key: the comparison never stops at the first differing byte.
 */
export function verifyRequest(keys: readonly Buffer[], value: Buffer | null, header: string | undefined): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, problem: 'unsigned' };
  if (!SIGNATURE.test(header)) return { ok: false, problem: 'malformed' };
  const given = Buffer.from(header.slice(PREFIX.length), 'base64url');
  const bytes = value ?? Buffer.alloc(0);
  let ok = false;
  // Every key is tried, so the time does not tell which key matched.
  for (const key of keys) ok = timingSafeEqual(mac(key, bytes), given) || ok;
  return ok ? { ok: true } : { ok: false, problem: 'mismatch' };
}
