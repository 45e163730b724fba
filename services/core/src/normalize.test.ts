import { normalize, normalizeIdTag, normalizeIdToken } from './normalize';

describe('normalize (design §3)', () => {
  it.each([
    ['04a2b3c4d5e6f7', '04A2B3C4D5E6F7'],
    ['  04A2B3C4D5E6F7 ', '04A2B3C4D5E6F7'],
    ['04 a2 b3 c4 d5 e6 f7', '04A2B3C4D5E6F7'],
    ['04:A2:B3:C4:D5:E6:F7', '04A2B3C4D5E6F7'],
    ['04-a2-b3-c4', '04A2B3C4'],
    ['\tdeadbeef\n', 'DEADBEEF'],
  ])('writes the RFID uid %j as %j', (raw, expected) => {
    expect(normalize('uid', raw)).toBe(expected);
  });

  it('keeps non-hex idTags apart from their compacted look-alikes', () => {
    expect(normalize('uid', 'app-user 42')).toBe('APP-USER 42');
    expect(normalize('uid', 'Fleet Card')).toBe('FLEET CARD');
  });

  it('drops the hyphens of eMAIDs and upper-cases them', () => {
    expect(normalize('emaid', 'de-8aa-123a45b67-8')).toBe('DE8AA123A45B678');
    expect(normalize('emaid', 'DE8AA123A45B678')).toBe('DE8AA123A45B678');
    expect(normalize('emaid', ' NL-TNM-C00122045-K ')).toBe('NLTNMC00122045K');
  });

  it('returns undefined for values with nothing identifying left', () => {
    expect(normalize('uid', '   ')).toBeUndefined();
    expect(normalizeIdTag('')).toBeUndefined();
    expect(normalizeIdToken(' ', 'ISO14443')).toBeUndefined();
  });

  it('upper-cases and NFC-normalizes non-ASCII CiStrings so composed and decomposed forms match', () => {
    expect(normalize('visual', 'Jos\u00e9 1')).toBe(normalize('visual', 'Jose\u0301 1'));
  });
});

describe('Autocharge: OCPP 1.6 VID: idTags and OCPP 2.0.1 MacAddress idTokens are one vehicle', () => {
  it.each(['VID:92D50A693F80', 'vid:92d50a693f80', ' VID: 92:D5:0A:69:3F:80 ', 'VID:92-d5-0a-69-3f-80'])(
    'reads %j as vehicle 92D50A693F80',
    (raw) => {
      expect(normalizeIdTag(raw)).toEqual({ kind: 'vehicle', value: '92D50A693F80' });
    },
  );

  it.each(['92:d5:0a:69:3f:80', '92-D5-0A-69-3F-80', '92d50a693f80', '92D5.0A69.3F80'])(
    'reads the MacAddress idToken %j as the same vehicle',
    (raw) => {
      expect(normalizeIdToken(raw, 'MacAddress')).toEqual({ kind: 'vehicle', value: '92D50A693F80' });
    },
  );

  it('keeps an idTag that only starts like VID: but is no MAC as a uid', () => {
    expect(normalizeIdTag('VID:1234')).toEqual({ kind: 'uid', value: 'VID:1234' });
  });
});

describe('OCPP 2.0.1 idToken kinds follow IdTokenEnumType', () => {
  it('maps eMAID to emaid, NoAuthorization to nothing, card types to uid', () => {
    expect(normalizeIdToken('nl-tnm-c00122045-k', 'eMAID')).toEqual({ kind: 'emaid', value: 'NLTNMC00122045K' });
    expect(normalizeIdToken('anything', 'NoAuthorization')).toBeUndefined();
    for (const type of ['ISO14443', 'ISO15693', 'KeyCode', 'Local', 'Central']) {
      expect(normalizeIdToken('04a2b3c4', type)).toEqual({ kind: 'uid', value: '04A2B3C4' });
    }
  });

  it('gives the same uid for an OCPP 1.6 idTag and an OCPP 2.0.1 ISO14443 idToken of one card', () => {
    expect(normalizeIdTag('04a2b3c4d5e6f7')).toEqual(normalizeIdToken('04:A2:B3:C4:D5:E6:F7', 'ISO14443'));
  });
});
