import { createHmac } from 'node:crypto';
import { signRequest, verifyRequest } from './request-signature';

const key = Buffer.from('k'.repeat(32));
const previous = Buffer.from('p'.repeat(32));
const value = Buffer.from(JSON.stringify({ version: 1, requestId: 'req-1', tenant: 'acme-cpo', action: 'erase', identifiers: [{ kind: 'uid', value: '04A2B3C4' }], reason: 'Art. 17', requestedAt: '2026-11-24T12:00:00Z' }));

describe('request signatures', () => {
  it('verifies what it signed, as text or bytes, in the v1 base64url header form', () => {
    const header = signRequest(key, value);
    expect(header).toMatch(/^v1=[A-Za-z0-9_-]{43}$/);
    expect(signRequest(key, value.toString('utf8'))).toBe(header);
    expect(verifyRequest([key], value, header)).toEqual({ ok: true });
  });

  it('is an HMAC-SHA256 over the context line and the value bytes, so another implementation can sign', () => {
    const expected = createHmac('sha256', key).update('ampseal.subject-request.v1\n').update(value).digest('base64url');
    expect(signRequest(key, value)).toBe(`v1=${expected}`);
    // A bare HMAC of the value (no context) is a signature of something else.
    expect(verifyRequest([key], value, `v1=${createHmac('sha256', key).update(value).digest('base64url')}`)).toEqual({ ok: false, problem: 'mismatch' });
  });

  it('refuses a changed value: one byte of the request differs', () => {
    const header = signRequest(key, value);
    const changed = Buffer.from(value.toString('utf8').replace('"erase"', '"unrestrict"'));
    expect(verifyRequest([key], changed, header)).toEqual({ ok: false, problem: 'mismatch' });
    const reordered = Buffer.from(JSON.stringify({ ...JSON.parse(value.toString('utf8')), version: 1 }).replace('{"version":1,', '{"version":1 ,'));
    expect(verifyRequest([key], reordered, header)).toEqual({ ok: false, problem: 'mismatch' });
  });

  it('refuses a signature made with another key, and accepts the previous key during a rotation', () => {
    const other = signRequest(Buffer.from('x'.repeat(32)), value);
    expect(verifyRequest([key], value, other)).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyRequest([key, previous], value, signRequest(previous, value))).toEqual({ ok: true });
    expect(verifyRequest([key], value, signRequest(previous, value))).toEqual({ ok: false, problem: 'mismatch' });
  });

  it('calls a record without the header unsigned, and a header not of the v1 form malformed', () => {
    expect(verifyRequest([key], value, undefined)).toEqual({ ok: false, problem: 'unsigned' });
    expect(verifyRequest([key], value, '')).toEqual({ ok: false, problem: 'unsigned' });
    const good = signRequest(key, value);
    for (const bad of [good.slice(3), `v2=${good.slice(3)}`, `${good}=`, `${good}A`, good.slice(0, -1), 'v1=' + '+'.repeat(43)]) {
      expect(verifyRequest([key], value, bad)).toEqual({ ok: false, problem: 'malformed' });
    }
  });

  it('verifies an empty or missing value only against a signature of the empty value', () => {
    const empty = signRequest(key, Buffer.alloc(0));
    expect(verifyRequest([key], null, empty)).toEqual({ ok: true });
    expect(verifyRequest([key], null, signRequest(key, value))).toEqual({ ok: false, problem: 'mismatch' });
  });
});
