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

describe('case folding is ASCII-only: letters outside a-z keep their case', () => {
  it.each([
    ['uid', 'stra\u00dfe', 'STRASSE'],
    ['uid', '\u0131d-77', 'ID-77'],
    ['visual', 'stra\u00dfe 1', 'STRASSE 1'],
    ['driver', 'J\u00f6rg', 'J\u00d6RG'],
  ] as const)('%s %j is not %j', (kind, raw, other) => {
    expect(normalize(kind, raw)).not.toBe(normalize(kind, other));
  });

  it('upper-cases the ASCII letters of a non-ASCII value and nothing else', () => {
    expect(normalize('uid', 'stra\u00dfe')).toBe('STRA\u00dfE');
    expect(normalize('uid', '\u0131d-77')).toBe('\u0131D-77');
    expect(normalize('driver', 'j\u00f6rg')).toBe('J\u00f6RG');
  });

  it('composes before folding: a decomposed "\u00e9" stays the lower-case letter the composed one is', () => {
    expect(normalize('visual', 'jose\u0301')).toBe('JOS\u00e9');
    expect(normalize('visual', 'jose\u0301')).not.toBe(normalize('visual', 'JOS\u00c9'));
  });
});

describe('separators are removed from hex UIDs of 4 to 10 bytes with one separator character only', () => {
  it.each([
    ['04 a2 b3 c4', '04A2B3C4'],
    ['04-A2-B3-C4-D5-E6-F7', '04A2B3C4D5E6F7'],
    ['e0.04.01.50.12.34.56.78', 'E004015012345678'],
    ['01:02:03:04:05:06:07:08:09:0a', '0102030405060708090A'],
  ])('%j → %j', (raw, expected) => {
    expect(normalize('uid', raw)).toBe(expected);
    expect(normalize('group', raw)).toBe(expected);
    expect(normalize('extra', raw)).toBe(expected);
  });

  it.each([
    ['12-34-56', '12-34-56', '3 bytes: no RFID UID is that short'],
    ['01-02-03-04-05-06-07-08-09-0A-0B', '01-02-03-04-05-06-07-08-09-0A-0B', '11 bytes'],
    ['04-A2:B3 C4', '04-A2:B3 C4', 'mixed separators'],
    ['04A-2B3-C4D', '04A-2B3-C4D', 'not written as pairs'],
    ['AB-CD-EF-GH', 'AB-CD-EF-GH', 'not hex'],
    ['DF000-2001-8999', 'DF000-2001-8999', 'a card number'],
  ])('keeps %j as %j (%s)', (raw, expected) => {
    expect(normalize('uid', raw)).toBe(expected);
    expect(normalizeIdTag(raw)).toEqual({ kind: 'uid', value: expected });
  });

  it('so a 3-byte id with hyphens and the same digits without them are two subjects', () => {
    expect(normalize('uid', '12-34-56')).not.toBe(normalize('uid', '123456'));
  });
});

describe('eMAIDs lose their hyphens only in the ISO 15118-2 Annex H form', () => {
  it.each([
    ['DE-8AA-123A45B67-8', 'DE8AA123A45B678'],
    ['DE-8AA-123A45B67', 'DE8AA123A45B67'],
    ['de8aa-123a45b67-8', 'DE8AA123A45B678'],
    ['DE-8AA-C12345678-9', 'DE8AAC123456789'],
    ['NL8ACC12E46L89', 'NL8ACC12E46L89'],
  ])('%j → %j', (raw, expected) => {
    expect(normalize('emaid', raw)).toBe(expected);
    expect(normalizeIdToken(raw, 'eMAID')).toEqual({ kind: 'emaid', value: expected });
  });

  it.each([
    ['CONTRACT-2024-0042', 'a contract number'],
    ['NL-ABC-12345678-9', '8 instance characters'],
    ['DE-8AA-123A45B67-89', 'two check characters'],
    ['D1-8AA-123A45B67-8', 'country code with a digit'],
    ['DE-8A-A123A45B67-8', 'hyphen off the boundary'],
  ])('keeps the hyphens of %j (%s)', (raw) => {
    expect(normalize('emaid', raw)).toBe(raw);
    expect(normalize('emaid', raw)).not.toBe(raw.replace(/-/g, ''));
  });

  it('collapses inner whitespace of a non-eMAID contract id like any CiString', () => {
    expect(normalize('emaid', 'acme  contract\t7')).toBe('ACME CONTRACT 7');
  });
});

describe('certificate serials and vehicles', () => {
  it('strips one consistent separator from hex serials, nothing from other text', () => {
    expect(normalize('certserial', '3a:01:9f:c2:44:10:0b:7e')).toBe('3A019FC244100B7E');
    expect(normalize('certserial', '3A 01 9F C2')).toBe('3A019FC2');
    expect(normalize('certserial', '3A019FC2')).toBe('3A019FC2');
    expect(normalize('certserial', '3A:01-9F:C2')).toBe('3A:01-9F:C2');
    expect(normalize('certserial', 'serial-7')).toBe('SERIAL-7');
  });

  it('reads a VIN written with spaces as the VIN, and keeps other vehicle ids apart', () => {
    expect(normalize('vehicle', 'wvw zzz1jz yw000001')).toBe('WVWZZZ1JZYW000001');
    expect(normalize('vehicle', 'BUS 1 2')).toBe('BUS 1 2');
    expect(normalize('vehicle', 'BUS 1 2')).not.toBe(normalize('vehicle', 'BUS 12'));
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

describe('Autocharge across protocols: an OCPI uid VID:<MAC> is the vehicle too', () => {
  it('the OCPP 1.6 idTag, the OCPI cdr_token.uid / Token.uid and the 2.0.1 MacAddress idToken are one subject', () => {
    const ocpp16 = normalizeIdTag('VID:92D50A693F80');
    const ocpi = normalizeIdTag('vid:92-d5-0a-69-3f-80');
    const ocpp201 = normalizeIdToken('92:D5:0A:69:3F:80', 'MacAddress');
    expect(ocpp16).toEqual({ kind: 'vehicle', value: '92D50A693F80' });
    expect(ocpi).toEqual(ocpp16);
    expect(ocpp201).toEqual(ocpp16);
  });
});
