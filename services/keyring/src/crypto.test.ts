import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { AmpsealError } from '@ampseal/core';
import {
  NONCE_BYTES,
  WRAPPED_BYTES,
  blindIndex,
  blindIndexText,
  newSubjectKey,
  subjectKeyAad,
  token,
  unwrapSubjectKey,
  wrapSubjectKey,
} from './crypto';

const INDEX_KEY = Buffer.from([...Array(32).keys()]);
const SUBJECT_KEY = Buffer.from([...Array(32).keys()].map((i) => 255 - i));
const KINDS = ['uid', 'group', 'emaid', 'visual', 'authref', 'extra', 'vehicle', 'driver', 'device'] as const;

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const kind = fc.constantFrom(...KINDS);
const value = fc.string({ minLength: 1, maxLength: 40 });

function integrityError(fn: () => unknown): void {
  expect(fn).toThrow(AmpsealError);
  try {
    fn();
  } catch (err) {
    expect((err as AmpsealError).code).toBe('AMPSEAL_ERR_KEY_INTEGRITY');
    expect((err as AmpsealError).retriable).toBe(false);
  }
}

describe('crypto vectors', () => {
  it('K9 blind index is HMAC-SHA256(index key, kind ‖ 0x00 ‖ value), pinned', () => {
    const expected = createHmac('sha256', INDEX_KEY)
      .update(Buffer.concat([Buffer.from('uid'), Buffer.from([0]), Buffer.from('04A2B3C4D5E6F7')]))
      .digest();
    expect(blindIndex(INDEX_KEY, 'uid', '04A2B3C4D5E6F7').equals(expected)).toBe(true);
    expect(expected.toString('hex')).toBe('7c14e408426f4261ee575ba0cce49b6c96401ed67e7e7b8b1f46950c631d2312');
    expect(blindIndexText(INDEX_KEY, 'uid', '04A2B3C4D5E6F7')).toBe(expected.toString('base64url'));
  });

  it('K10 token is base64url of 16 bytes of HMAC-SHA256(subject key, "ampseal/token/v1" ‖ 0 ‖ kind ‖ 0 ‖ value), pinned', () => {
    const mac = createHmac('sha256', SUBJECT_KEY)
      .update(Buffer.concat([Buffer.from('ampseal/token/v1'), Buffer.from([0]), Buffer.from('uid'), Buffer.from([0]), Buffer.from('04A2B3C4D5E6F7')]))
      .digest();
    const t = token(SUBJECT_KEY, 'uid', '04A2B3C4D5E6F7');
    expect(t).toBe(mac.subarray(0, 16).toString('base64url'));
    expect(t).toBe('Xt6CQ-jfjpSre6O5scPwaw');
    expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('K8 AAD binds label, tenant, blind index and generation (uint32 BE), pinned', () => {
    expect(subjectKeyAad('acme-cpo', 'abc', 1).toString('hex')).toBe(
      Buffer.concat([Buffer.from('ampseal/subject-key/v1\0acme-cpo\0abc'), Buffer.from([0, 0, 0, 1])]).toString('hex'),
    );
  });

  it('K8 wrapped key is nonce ‖ ciphertext ‖ tag (60 bytes) and hides the key', () => {
    const aad = subjectKeyAad('acme-cpo', 'abc', 1);
    const wrapped = wrapSubjectKey(INDEX_KEY, SUBJECT_KEY, aad, Buffer.alloc(NONCE_BYTES, 7));
    expect(wrapped).toHaveLength(WRAPPED_BYTES);
    expect(wrapped.subarray(0, NONCE_BYTES).equals(Buffer.alloc(NONCE_BYTES, 7))).toBe(true);
    expect(wrapped.includes(SUBJECT_KEY)).toBe(false);
    expect(unwrapSubjectKey(INDEX_KEY, wrapped, aad).equals(SUBJECT_KEY)).toBe(true);
  });
});

describe('crypto properties', () => {
  it('K10 same subject and key → same token; the token never contains the value', () => {
    fc.assert(
      fc.property(key, kind, value, (k, kd, v) => {
        expect(token(k, kd, v)).toBe(token(Buffer.from(k), kd, v));
        if (v.length >= 4) expect(token(k, kd, v).includes(v)).toBe(false);
      }),
    );
  });

  it('K10 a different kind, value or subject key → a different token', () => {
    fc.assert(
      fc.property(key, key, kind, kind, value, value, (k1, k2, kd1, kd2, v1, v2) => {
        if (kd1 !== kd2) expect(token(k1, kd1, v1)).not.toBe(token(k1, kd2, v1));
        if (v1 !== v2) expect(token(k1, kd1, v1)).not.toBe(token(k1, kd1, v2));
        if (!k1.equals(k2)) expect(token(k1, kd1, v1)).not.toBe(token(k2, kd1, v1));
      }),
    );
  });

  it('K9 blind index separates kinds and values under one index key and differs across index keys', () => {
    fc.assert(
      fc.property(key, key, kind, kind, value, (k1, k2, kd1, kd2, v) => {
        if (kd1 !== kd2) expect(blindIndexText(k1, kd1, v)).not.toBe(blindIndexText(k1, kd2, v));
        if (!k1.equals(k2)) expect(blindIndexText(k1, kd1, v)).not.toBe(blindIndexText(k2, kd1, v));
      }),
    );
  });

  it('K8 wrap/unwrap round-trips; a fresh random nonce per wrap', () => {
    fc.assert(
      fc.property(key, key, fc.nat({ max: 2 ** 32 - 1 }), (wrapping, subject, generation) => {
        const aad = subjectKeyAad('t', 'bi', generation);
        const a = wrapSubjectKey(wrapping, subject, aad);
        const b = wrapSubjectKey(wrapping, subject, aad);
        expect(a.equals(b)).toBe(false);
        expect(unwrapSubjectKey(wrapping, a, aad).equals(subject)).toBe(true);
      }),
    );
  });

  it('K8 wrong AAD (tenant, blind index or generation) fails to unwrap with KEY_INTEGRITY', () => {
    fc.assert(
      fc.property(key, fc.nat({ max: 1000 }), (wrapping, generation) => {
        const wrapped = wrapSubjectKey(wrapping, newSubjectKey(), subjectKeyAad('acme-cpo', 'bi-1', generation));
        integrityError(() => unwrapSubjectKey(wrapping, wrapped, subjectKeyAad('voltway-cpo', 'bi-1', generation)));
        integrityError(() => unwrapSubjectKey(wrapping, wrapped, subjectKeyAad('acme-cpo', 'bi-2', generation)));
        integrityError(() => unwrapSubjectKey(wrapping, wrapped, subjectKeyAad('acme-cpo', 'bi-1', generation + 1)));
      }),
      { numRuns: 50 },
    );
  });

  it('K8 wrong wrapping key, a flipped bit or a wrong length fails with KEY_INTEGRITY, naming no input', () => {
    const aad = subjectKeyAad('acme-cpo', 'bi', 1);
    const wrapping = randomBytes(32);
    const wrapped = wrapSubjectKey(wrapping, newSubjectKey(), aad);
    integrityError(() => unwrapSubjectKey(randomBytes(32), wrapped, aad));
    for (const position of [0, NONCE_BYTES + 3, WRAPPED_BYTES - 1]) {
      const flipped = Buffer.from(wrapped);
      flipped[position]! ^= 1;
      integrityError(() => unwrapSubjectKey(wrapping, flipped, aad));
    }
    integrityError(() => unwrapSubjectKey(wrapping, wrapped.subarray(1), aad));
    try {
      unwrapSubjectKey(randomBytes(32), wrapped, aad);
    } catch (err) {
      expect((err as Error).message).toBe('a stored key failed authentication: subject key did not authenticate');
      expect((err as Error).cause).toBeUndefined();
    }
  });
});
