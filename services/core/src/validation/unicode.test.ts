import { createInputParser } from '../input';
import { findLoneSurrogate, mayHoldLoneSurrogate, type SchemaNode } from './unicode';

describe('mayHoldLoneSurrogate: the cheap pre-check on the raw text', () => {
  test.each([
    ['plain ASCII', false, '{"idTag":"04A2B3C4"}'],
    ['a non-surrogate escape', false, '{"idTag":"\\u00e9"}'],
    ['a high surrogate escape', true, '{"idTag":"\\ud800"}'],
    ['a low surrogate escape, upper case', true, '{"idTag":"\\uDC00"}'],
    ['an escaped backslash before ud800 (a false alarm the walk clears)', true, '{"idTag":"\\\\ud800"}'],
  ])('%s → %s', (_name, expected, text) => {
    expect(mayHoldLoneSurrogate(text, true)).toBe(expected);
  });

  test('a raw lone surrogate counts only for text that did not come from UTF-8 bytes', () => {
    expect(mayHoldLoneSurrogate('{"idTag":"\ud800"}', false)).toBe(true);
    expect(mayHoldLoneSurrogate('{"idTag":"\u{1F600}"}', false)).toBe(false);
  });
});

describe('findLoneSurrogate: the pointer of the first ill-formed string, named by the schema only', () => {
  const root: SchemaNode = {
    properties: {
      card: { $ref: '#/definitions/Card' },
      cards: { type: 'array', items: { $ref: '#/definitions/Card' } },
      pair: { items: [{}, { properties: { uid: {} } }] },
      'a/b~c': {},
    },
    definitions: { Card: { properties: { uid: {}, meta: {} } } },
  };
  const find = (value: unknown) => findLoneSurrogate(value, { pointer: '/p', schema: root, root });

  test('follows local $refs and array items', () => {
    expect(find({ card: { uid: 'x\ud800' } })).toBe('/p/card/uid');
    expect(find({ cards: [{ uid: 'ok' }, { uid: '\udfff' }] })).toBe('/p/cards/1/uid');
    expect(find({ pair: ['ok', { uid: 'x\ud800' }] })).toBe('/p/pair/1/uid');
  });

  test('escapes declared names per RFC 6901', () => {
    expect(find({ 'a/b~c': '\ud800' })).toBe('/p/a~1b~0c');
  });

  test('stops at the nearest declared ancestor below an undeclared name, indices included', () => {
    expect(find({ card: { undeclared: { deeper: ['ok', '\ud800'] } } })).toBe('/p/card');
    expect(find({ undeclared: '\ud800' })).toBe('/p');
  });

  test('finds nothing in well-formed values, pairs included', () => {
    expect(find({ card: { uid: '\ud83d\ude00', meta: [1, null, true, { x: 'é' }] } })).toBeUndefined();
  });

  test('skips the object it is told to skip', () => {
    const payload = { uid: '\ud800' };
    expect(findLoneSurrogate({ payload }, { pointer: '', schema: undefined, root: undefined, skip: payload })).toBeUndefined();
  });
});

describe('deeply nested input (found by npm run fuzz: a recursive walk overflowed the stack and stalled a partition)', () => {
  test('a lone surrogate under 100,000 levels of nesting is found without throwing, named to its declared ancestor', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const schema: SchemaNode = { properties: { customData: {} } };
    expect(findLoneSurrogate({ customData: { vendor: deep } }, { pointer: '/frame/3', schema, root: schema })).toBe('/frame/3/customData');
  });

  test('the whole parser quarantines such a record as bad_unicode', () => {
    const deep = `${'['.repeat(50_000)}"\\ud800"${']'.repeat(50_000)}`;
    const text = `{"tenant":"acme-cpo","source":"ocpp2.0.1","stationId":"CP-1","receivedAt":"2026-11-24T10:00:00Z","frame":[2,"m","Heartbeat",{"customData":{"vendorId":"x","deep":${deep}}}]}`;
    const result = createInputParser().parse(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ reason: 'bad_unicode', pointer: '/frame/3/customData' });
  });
});
