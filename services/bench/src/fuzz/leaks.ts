/**
 * The fuzzer's privacy oracle, the idea of core's privacy property (services/core/src/privacy.property.test.ts):
 * an identifier the input carried must not appear in an analytics record in any spelling — not as written, not
 * upper- or lower-cased, not as any 8-character window of it. Windows with fewer than 4 letters or digits are
 * skipped (padding and separators would match by chance). Pure.
 */

const WINDOW = 8;
const MIN_ALNUM = 4;
const ALNUM = /[0-9A-Z]/g;

/** The raw value and its 8-character windows, upper-cased: what must never be found in an output. */
export function secretsOf(identifier: string): string[] {
  const upper = identifier.toUpperCase();
  const out = upper.trim().length > 0 ? [upper.trim()] : [];
  for (let i = 0; i + WINDOW <= upper.length; i++) {
    const w = upper.slice(i, i + WINDOW);
    if ((w.match(ALNUM) ?? []).length >= MIN_ALNUM) out.push(w);
  }
  return out;
}

/**
 * Which of `identifiers` appear in `output` (an analytics record as JSON text) in any spelling. Returns the
 * positions in `identifiers` only: a report must not print an identifier (style rule 5).
 */
export function leakedIdentifiers(output: string, identifiers: readonly string[]): number[] {
  if (identifiers.length === 0) return [];
  const haystack = output.toUpperCase();
  const found: number[] = [];
  for (let i = 0; i < identifiers.length; i++) {
    // Short identifiers (a 4-digit connector-style id) have no window and would match any number: only their whole value.
    const secrets = secretsOf(identifiers[i]!);
    const whole = secrets[0];
    if (whole !== undefined && whole.length < WINDOW) {
      if (new RegExp(`(^|[^0-9A-Z])${whole.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^0-9A-Z])`).test(haystack)) found.push(i);
      continue;
    }
    if (secrets.some((s) => haystack.includes(s))) found.push(i);
  }
  return found;
}
