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
  // Depth-first, in document order, with an explicit stack: a record nested 10,000 levels deep (JSON.parse takes
  // it) would overflow a recursive walk, and a throw here would stall the partition instead of quarantining.
  const stack: Frame[] = [{ value, schema: place.schema, named: true, segment: null, parent: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const bad = visit(frame, place, stack);
    if (bad !== undefined) return pointerOf(place.pointer, bad);
  }
  return undefined;
}

/**
 * One value on the walk. `named`: the path to it is made of declared names and indices only, so its segment may be
 * part of the pointer; below an undeclared property nothing more is named (the name may be an identifier).
 */
interface Frame {
  readonly value: unknown;
  readonly schema: SchemaNode | undefined;
  readonly named: boolean;
  /** This value's pointer segment, or null when it is not named. */
  readonly segment: string | null;
  readonly parent: Frame | null;
}

/** The frame whose pointer names the ill-formed value (itself, or its object for a bad property name), or undefined. */
function visit(frame: Frame, place: WalkPlace, stack: Frame[]): Frame | undefined {
  const { value, named } = frame;
  if (typeof value === 'string') return isWellFormed(value) ? undefined : frame;
  if (typeof value !== 'object' || value === null || value === place.skip) return undefined;
  const node = named ? resolve(frame.schema, place.root) : undefined;
  const children: Frame[] = [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = node === undefined ? undefined : itemSchema(node, i);
      children.push({ value: value[i], schema: item, named, segment: named ? String(i) : null, parent: frame });
    }
  } else {
    const properties = isObject(node?.properties) ? node.properties : undefined;
    const object = value as Record<string, unknown>;
    // JSON.parse objects have no inherited enumerable properties: for…in sees the own keys, without an array.
    for (const key in object) {
      // A bad property name is reported as its object: the name is not a declared one, so it is not quoted.
      if (!isWellFormed(key)) return frame;
      const declared = properties !== undefined && Object.prototype.hasOwnProperty.call(properties, key);
      const childNamed = named && declared;
      const child = declared ? (properties[key] as SchemaNode) : undefined;
      children.push({ value: object[key], schema: child, named: childNamed, segment: childNamed ? escapePointer(key) : null, parent: frame });
    }
  }
  // Pushed in reverse, popped in document order: the first ill-formed value is the one reported.
  for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  return undefined;
}

/** The pointer of a frame: its named segments, outermost first (unnamed ones stop at their declared ancestor). */
function pointerOf(base: string, frame: Frame): string {
  const segments: string[] = [];
  for (let at: Frame | null = frame; at !== null; at = at.parent) if (at.segment !== null) segments.push(at.segment);
  let pointer = base;
  for (let i = segments.length - 1; i >= 0; i--) pointer += `/${segments[i]!}`;
  return pointer;
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
