import fc from 'fast-check';
import { fullFormats } from 'ajv-formats/dist/formats';
import { isSchemaDateTime, parseDateTime } from '../rules';

/**
 * `format: date-time` is checked by our own allocation-free function (rules.ts) instead of ajv-formats' (which
 * splits and matches per call). Accepting a different set of strings would change which frames are quarantined, so
 * it is held to ajv-formats' own function, the rule the vendored OCPP schemas were validated with before.
 */
const ajvDateTime = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((d) => d.join(''));
const two = (from: number, to: number) => fc.integer({ min: from, max: to }).map((n) => String(n).padStart(2, '0'));
/** Mostly a value in range, sometimes any two digits or one at the edges (00, 24, 29–31, 59–61, 99). */
const part = (from: number, to: number) =>
  fc.oneof({ weight: 6, arbitrary: two(from, to) }, { weight: 1, arbitrary: digits(2) }, { weight: 1, arbitrary: fc.constantFrom('00', '13', '24', '29', '30', '31', '59', '60', '61', '99') });
const year = fc.oneof(digits(4), fc.constantFrom('2026', '2024', '2000', '1900', '2100', '0000'));
const separator = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('T', 't', ' ') }, { weight: 1, arbitrary: fc.constantFrom('\t', '_', '', 'TT', '\u2028', 'T ') });
const fraction = fc.oneof(fc.constant(''), digits(1).map((d) => `.${d}`), digits(9).map((d) => `.${d}`), fc.constant('.'));
const zone = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('Z', 'z') },
  { weight: 1, arbitrary: fc.constantFrom('', 'UTC', '+', '-0', 'Z ') },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('+', '-'), part(0, 23), fc.constantFrom('', ':', ':', ':0', '::'), fc.oneof(part(0, 59), fc.constant(''))).map((p) => p.join('')) },
);
const nearlyDateTime = fc
  .tuple(year, fc.constantFrom('-', '-', '-', '/'), part(1, 12), fc.constant('-'), part(1, 28), separator, part(0, 23), fc.constantFrom(':', ':', ':', '.'), part(0, 59), fc.constant(':'), part(0, 59), fraction, zone)
  .map((p) => p.join(''));

describe('format: date-time (allocation-free, equal to ajv-formats)', () => {
  it('accepts and refuses exactly what ajv-formats does, over near-miss date-times and arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 8, arbitrary: nearlyDateTime }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }), (text) => {
        expect(isSchemaDateTime(text)).toBe(ajvDateTime(text));
      }),
      { numRuns: 20_000 },
    );
    // The generator is worth its runs only if both answers are common.
    const accepted = fc.sample(nearlyDateTime, { numRuns: 5_000, seed: 1 }).filter(ajvDateTime).length;
    expect(accepted).toBeGreaterThan(250);
    expect(accepted).toBeLessThan(4_750);
  });

  it.each([
    ['2026-11-24T10:00:03Z', true],
    ['2026-11-24t10:00:03.123456789+05:30', true],
    ['2026-11-24 10:00:03+0530', true],
    ['2026-11-24T10:00:03+05', true],
    ['2024-02-29T00:00:00Z', true],
    ['2026-02-29T00:00:00Z', false],
    ['2026-11-24T23:59:60Z', true],
    ['2026-11-25T00:59:60+01:00', true],
    ['2026-11-24T22:59:60Z', false],
    ['2026-11-24T24:00:00Z', false],
    ['2026-11-24T10:00:03', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-11-24T10:00:03+24:00', false],
  ])('%s → %s (and so does ajv-formats)', (text, accepted) => {
    expect(isSchemaDateTime(text)).toBe(accepted);
    expect(ajvDateTime(text)).toBe(accepted);
  });

  it('parseDateTime reads no date-time its stricter rule refuses, and agrees with Date.parse on the ones it reads', () => {
    fc.assert(
      fc.property(nearlyDateTime, (text) => {
        const ms = parseDateTime(text);
        if (ms !== undefined) {
          expect(isSchemaDateTime(text)).toBe(true);
          expect(ms).toBe(Date.parse(text));
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
