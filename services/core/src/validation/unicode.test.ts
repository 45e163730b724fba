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
