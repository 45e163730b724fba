/**
 * Lone UTF-16 surrogates (quarantine reason `bad_unicode`). JSON lets a string escape any code unit, so
 * `"\ud800"` parses to a string that is not well-formed Unicode. Normalization (NFC) and every UTF-8 encoder on
 * the way out turn each lone surrogate into U+FFFD, so `"04\ud800"` and `"04\udbff"` would become one value: two
 * cards, one subject, one token. Such records are refused, not repaired.
 *
 * Cost: the hot path (about 90k records/s on one core) pays one scan of the raw text; the parsed value is walked
 * only when that scan finds a surrogate escape (`\uD800`–`\uDFFF`, either case) or, for string input, a raw lone
 * surrogate. A Buffer decoded as UTF-8 cannot hold a raw one (invalid bytes decode to U+FFFD). Measured on 50k
 * generated records: no difference in parse or transform throughput within the noise of a shared machine; when
 * every record holds a surrogate-pair escape (a producer escaping an emoji), and so is walked, parsing is about
 * 10% slower.
 */

/**
 * A JSON escape of a surrogate code unit, high (D800–DBFF) or low (DC00–DFFF). Also matches an escaped backslash
 * followed by the letters `ud800`: the walk decides.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

// ES2024 String.prototype.isWellFormed (Node 20, V8 11.3); the workspace's TypeScript lib is ES2023.
type WellFormed = { isWellFormed(): boolean };
export const isWellFormed = (text: string): boolean => (text as unknown as WellFormed).isWellFormed();

/**
 * Cheap pre-check on the raw record: false means no string of it can hold a lone surrogate. Measured on 50k
 * generated records (485 characters on average, none with an escape): the regex alone costs about 160 ns a
 * record, behind an indexOf of the two-character `\u` about 100 ns (parse itself takes about 4.5 µs);
 * isWellFormed on a one-byte string is O(1).
 */
export function mayHoldLoneSurrogate(text: string, decodedFromUtf8: boolean): boolean {
  return (text.includes('\\u') && SURROGATE_ESCAPE.test(text)) || (!decodedFromUtf8 && !isWellFormed(text));
}

/** The part of a JSON Schema the walk reads to name properties. */
export interface SchemaNode {
  readonly $ref?: unknown;
  readonly properties?: unknown;
  readonly items?: unknown;
  readonly additionalItems?: unknown;
  readonly definitions?: unknown;
}

/**
 * Where to look and how to name what is found: `schema` (resolved against `root` for local `$ref`s) names the
 * properties the pointer may contain. A property the schema does not declare (vendor `customData` content, OCPI
 * extensions) may itself be an identifier, and a pointer must never carry one: the pointer then stops at the
 * nearest declared ancestor. Array indices below a declared array are always named.
 */
export interface WalkPlace {
  readonly pointer: string;
  readonly schema: SchemaNode | undefined;
  readonly root: SchemaNode | undefined;
  /** An object or array not to descend into (a payload walked on its own, with its own schema). */
  readonly skip?: unknown;
}

/**
 * The JSON pointer of the first string, or object holding a property name, that is not well-formed UTF-16;
 * undefined when every one is.
 */
export function findLoneSurrogate(value: unknown, place: WalkPlace): string | undefined {
  const segments: string[] = [];
  // A first pass without the schema (no $ref lookups): well-formed values, the common case, cost only the walk.
  if (!walk(value, undefined, undefined, false, place.skip, segments)) return undefined;
  walk(value, place.schema, place.root, true, place.skip, segments);
  // Segments were collected while unwinding, innermost first; the pointer is built once, only when needed.
  let pointer = place.pointer;
  for (let i = segments.length - 1; i >= 0; i--) pointer += `/${segments[i]!}`;
  return pointer;
}

/**
 * True when `value` holds an ill-formed string; `segments` then receives the pointer's segments, innermost first.
 * `named`: the path so far is made of declared names and indices only, so the segment of this level may be added.
 */
function walk(
  value: unknown,
  schema: SchemaNode | undefined,
  root: SchemaNode | undefined,
  named: boolean,
  skip: unknown,
  segments: string[],
): boolean {
  if (typeof value === 'string') return !isWellFormed(value);
  if (typeof value !== 'object' || value === null || value === skip) return false;
  const node = named ? resolve(schema, root) : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = node === undefined ? undefined : itemSchema(node, i);
      if (walk(value[i], item, root, named, skip, segments)) {
        if (named) segments.push(String(i));
        return true;
      }
    }
    return false;
  }
  const properties = isObject(node?.properties) ? node.properties : undefined;
  const object = value as Record<string, unknown>;
  // JSON.parse objects have no inherited enumerable properties: for…in sees the own keys, without an array.
  for (const key in object) {
    // A bad property name is reported as its object: the name is not a declared one, so it is not quoted.
    if (!isWellFormed(key)) return true;
    const declared = properties !== undefined && Object.prototype.hasOwnProperty.call(properties, key);
    const child = declared ? (properties[key] as SchemaNode) : undefined;
    if (walk(object[key], child, root, named && declared, skip, segments)) {
      if (named && declared) segments.push(escapePointer(key));
      return true;
    }
  }
  return false;
}

function itemSchema(node: SchemaNode, index: number): SchemaNode | undefined {
  const items = node.items;
  if (Array.isArray(items)) {
    const at = items[index] as SchemaNode | undefined;
    return at ?? (isObject(node.additionalItems) ? (node.additionalItems as SchemaNode) : undefined);
  }
  return isObject(items) ? (items as SchemaNode) : undefined;
}

const LOCAL_REF = '#/definitions/';

/** Follows local `#/definitions/…` references (the only kind the vendored and OCPI schemas use), at most 16. */
function resolve(schema: SchemaNode | undefined, root: SchemaNode | undefined): SchemaNode | undefined {
  let node = schema;
  for (let hops = 0; node !== undefined && typeof node.$ref === 'string' && hops < 16; hops++) {
    const ref = node.$ref;
    const definitions = root?.definitions;
    if (!ref.startsWith(LOCAL_REF) || !isObject(definitions)) return undefined;
    const name = ref.slice(LOCAL_REF.length);
    node = Object.prototype.hasOwnProperty.call(definitions, name) ? (definitions[name] as SchemaNode) : undefined;
  }
  return node;
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
function escapePointer(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
