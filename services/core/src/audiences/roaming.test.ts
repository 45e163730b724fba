import { issuerOf, parseRecipient, roamingTopic } from './roaming';

const token = (country_code: unknown, party_id: unknown) => ({ cdr_token: { country_code, party_id, uid: 'x', type: 'RFID', contract_id: 'y' } });

describe('token issuer (OCPI 2.2.1 CdrToken.country_code / party_id) as the roaming recipient', () => {
  it('joins the two codes upper-cased, so lower and upper case name one recipient', () => {
    expect(issuerOf(token('NL', 'TNM'))).toEqual({ ok: true, recipient: 'NL-TNM' });
    expect(issuerOf(token('nl', 'tnm'))).toEqual({ ok: true, recipient: 'NL-TNM' });
    expect(issuerOf(token('De', '8aA'))).toEqual({ ok: true, recipient: 'DE-8AA' });
  });

  it.each([
    ['empty country', '', 'TNM', 'country_code'],
    ['empty party', 'NL', '', 'party_id'],
    ['padded country', ' N', 'TNM', 'country_code'],
    ['padded party', 'NL', 'TN ', 'party_id'],
    ['country with a dash ("N-" + "L")', 'N-', 'L', 'country_code'],
    ['party with a dash ("N" + "-L")', 'N', '-L', 'country_code'],
    ['party with a dash', 'NL', '-TN', 'party_id'],
    ['short party', 'NL', 'L', 'party_id'],
    ['country too long', 'NLD', 'TNM', 'country_code'],
    ['party too long', 'NL', 'TNMX', 'party_id'],
    ['digits in the country', 'N1', 'TNM', 'country_code'],
    ['non-ASCII letters', 'NÖ', 'TNM', 'country_code'],
    ['a newline', 'NL', 'TN\n', 'party_id'],
  ])('refuses %s with bad_issuer, the pointer of the code and rule pattern', (_, country, party, field) => {
    const result = issuerOf(token(country, party));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'bad_issuer', code: 'AMPSEAL_ERR_BAD_ISSUER', pointer: `/cdr_token/${field}`, keyword: 'pattern', retriable: false });
    // Fixed text and the pointer only: never the code itself.
    expect(result.error.message).toBe(`token issuer country_code or party_id is malformed: /cdr_token/${field} pattern`);
  });

  it('refuses a missing token or non-string codes as a type error', () => {
    expect(issuerOf({})).toMatchObject({ ok: false, error: { pointer: '/cdr_token/country_code', keyword: 'type' } });
    expect(issuerOf(token('NL', 123))).toMatchObject({ ok: false, error: { pointer: '/cdr_token/party_id', keyword: 'type' } });
  });

  it('gives the two issuers that both used to read "N--L" no recipient at all', () => {
    expect(issuerOf(token('N-', 'L')).ok).toBe(false);
    expect(issuerOf(token('N', '-L')).ok).toBe(false);
  });
});

describe('recipient allow-list entries and topics', () => {
  it('reads CC-PID in either case by the same rule as the transform', () => {
    expect(parseRecipient('nl-tnm')).toBe('NL-TNM');
    expect(parseRecipient('DE-8AA')).toBe('DE-8AA');
    for (const bad of ['NL', 'NLTNM', 'NL-TN', 'NL--TNM', ' NL-TNM', 'N1-TNM', 'NL-TNM-X', '']) expect(parseRecipient(bad)).toBeUndefined();
  });

  it("names each recipient's own topic from the template", () => {
    expect(roamingTopic('ocpi.roaming.{recipient}.v1', 'NL-TNM')).toBe('ocpi.roaming.NL-TNM.v1');
  });
});
