import fc from 'fast-check';

/**
 * A fast-check arbitrary that builds VALID instances of a JSON Schema, for the property tests of the privacy
 * claims (style rule 10). It covers exactly the keywords the vendored OCPP 1.6 / 2.0.1 schemas and ampseal's OCPI
 * 2.2.1 schemas use: type, properties, required (plus a random subset of the optional properties), enum,
 * minimum/maximum/multipleOf, maxLength/minLength, format date-time and uri, pattern (the five OCPI patterns, and
 * fc.stringMatching for any other), items/minItems/maxItems, and local `$ref`s into `definitions`. An unknown
 * `type` throws, so a new schema that needs more fails loudly instead of yielding invalid instances.
 */
export type JsonSchema = { readonly [key: string]: unknown };

export interface SchemaArbitraryOptions {
  /**
   * Catalog-notation paths (`idToken.idToken`, `meterValue[].sampledValue[].value`) that must be present: every
   * object on the way includes the property, every array on the way has at least one item.
   */
  readonly require?: readonly string[];
  /** Items beyond minItems an array may get. Default 2. */
  readonly maxExtraItems?: number;
  /** Also generate integers outside the 32-bit range where the schema allows them. Default true. */
  readonly wideIntegers?: boolean;
  /**
   * Bounds for integers at catalog paths (`meterValue[].sampledValue[].unitOfMeasure.multiplier`): a schema without
   * a maximum still has a realistic range, and beyond it ampseal quarantines the record as number_out_of_range.
   */
  readonly integerBounds?: Readonly<Record<string, readonly [number, number]>>;
  /** Values for catalog paths whose schema is looser than what real messages carry (1.6 SampledValue.value). */
  readonly overrides?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  /** Longest generated string where maxLength is larger or absent (certificates allow 5500). Default 48. */
  readonly maxStringLength?: number;
}

const MAX_DEPTH = 32;

/** Follows local `$ref`s (`#/definitions/X`, `#/$defs/X`). */
export function resolveRef(root: JsonSchema, node: JsonSchema): JsonSchema {
  let current = node;
  for (let hops = 0; typeof current.$ref === 'string'; hops++) {
    if (hops > MAX_DEPTH) throw new Error(`$ref loop at ${current.$ref}`);
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`non-local $ref ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as JsonSchema | undefined)?.[part];
    if (target === null || typeof target !== 'object') throw new Error(`unresolved $ref ${ref}`);
    current = target as JsonSchema;
  }
  return current;
}

function properties(node: JsonSchema): Record<string, JsonSchema> | undefined {
  return node.properties as Record<string, JsonSchema> | undefined;
}

/** The schema of the value at a catalog path (`a.b[].c`), or undefined when the schema has no such path. */
export function schemaAt(root: JsonSchema, path: string): JsonSchema | undefined {
  let node = resolveRef(root, root);
  for (const segment of path.split('.')) {
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    const child = properties(node)?.[name];
    if (child === undefined) return undefined;
    node = resolveRef(root, child);
    if (isArray) {
      if (node.type !== 'array') return undefined;
      node = resolveRef(root, node.items as JsonSchema);
    }
  }
  return node;
}

// OCPI `string` (types.asciidoc): no control characters, so mostly printable ASCII with some Unicode.
const NON_CONTROL_CHAR = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', 'ø', 'Ł', '中', '😀', '\u00a0', '\u0301') },
);

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** RFC 3339 date-time as ajv-formats `date-time` accepts it: offset mandatory, fraction optional. */
const DATE_TIME = fc
  .record({
    ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
    fraction: fc.constantFrom('', '.1', '.123', '.123456'),
    offsetMinutes: fc.constantFrom(0, 0, 0, 60, -300, 330, 840, -720),
    zulu: fc.boolean(),
  })
  .map(({ ms, fraction, offsetMinutes, zulu }) => {
    const local = new Date(ms + offsetMinutes * 60_000);
    const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
    const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction}`;
    if (offsetMinutes === 0 && zulu) return `${date}T${time}Z`;
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${date}T${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  });

/** OCPI DateTime: string(25), UTC, the `Z` optional (its absence implies UTC), any fraction. */
const OCPI_DATE_TIME = fc
  .record({
    ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
    fraction: fc.constantFrom('', '.5', '.123', '.1234567'),
    zulu: fc.constantFrom(true, true, false),
  })
  .map(({ ms, fraction, zulu }) => `${new Date(ms).toISOString().slice(0, 19)}${fraction}${zulu ? 'Z' : ''}`);

export function decimal(intDigits: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.boolean(), fc.integer({ min: 0, max: 10 ** intDigits - 1 }), fc.integer({ min: 5, max: 7 }), fc.nat())
    .map(([neg, int, decimals, frac]) => `${neg ? '-' : ''}${int}.${String(frac % 10 ** decimals).padStart(decimals, '0')}`);
}

const KNOWN_PATTERNS: Readonly<Record<string, (min: number, max: number) => fc.Arbitrary<string>>> = {
  '^[\\x20-\\x7E]*$': (min, max) => fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }),
  '^[^\\x00-\\x1F\\x7F]*$': (min, max) => fc.string({ unit: NON_CONTROL_CHAR, minLength: min, maxLength: max }),
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?Z?$': () =>
    OCPI_DATE_TIME,
  '^-?[0-9]{1,2}\\.[0-9]{5,7}$': () => decimal(2),
  '^-?[0-9]{1,3}\\.[0-9]{5,7}$': () => decimal(3),
};

/** Length in code points, as Ajv's maxLength counts it. */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

interface Context {
  readonly root: JsonSchema;
  readonly require: readonly string[];
  readonly maxExtraItems: number;
  readonly wideIntegers: boolean;
  readonly integerBounds: Readonly<Record<string, readonly [number, number]>>;
  readonly overrides: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  readonly maxStringLength: number;
}

function isRequired(ctx: Context, path: string): boolean {
  return ctx.require.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[]`));
}

function stringArbitrary(node: JsonSchema, ctx: Context): fc.Arbitrary<string> {
  const min = typeof node.minLength === 'number' ? node.minLength : 0;
  const declaredMax = typeof node.maxLength === 'number' ? node.maxLength : Infinity;
  const max = Math.max(min, Math.min(declaredMax, ctx.maxStringLength));
  const fits = (s: string): boolean => {
    const n = codePoints(s);
    return n >= min && n <= declaredMax;
  };
  if (node.format === 'date-time') return DATE_TIME.filter(fits);
  if (node.format === 'uri') {
    return fc.stringMatching(/^[a-z0-9]{1,12}$/).map((p) => `https://example.com/${p}`).filter(fits);
  }
  if (typeof node.pattern === 'string') {
    const known = KNOWN_PATTERNS[node.pattern];
    if (known) return known(min, max).filter(fits);
    return fc.stringMatching(new RegExp(node.pattern)).filter(fits);
  }
  if (node.format !== undefined) throw new Error(`schema-arbitrary: unsupported format ${String(node.format)}`);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: max }) },
  );
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function integerArbitrary(node: JsonSchema, ctx: Context): fc.Arbitrary<number> {
  const minimum = typeof node.minimum === 'number' ? Math.ceil(node.minimum) : undefined;
  const maximum = typeof node.maximum === 'number' ? Math.floor(node.maximum) : undefined;
  const narrow = fc.integer({ min: Math.max(minimum ?? INT32.min, INT32.min), max: Math.min(maximum ?? INT32.max, INT32.max) });
  if (!ctx.wideIntegers || (minimum !== undefined && maximum !== undefined)) return narrow;
  const wide = fc.integer({ min: minimum ?? Number.MIN_SAFE_INTEGER, max: maximum ?? Number.MAX_SAFE_INTEGER });
  return fc.oneof({ weight: 9, arbitrary: narrow }, { weight: 1, arbitrary: wide });
}

function numberArbitrary(node: JsonSchema): fc.Arbitrary<number> {
  const min = typeof node.minimum === 'number' ? node.minimum : undefined;
  const max = typeof node.maximum === 'number' ? node.maximum : undefined;
  const multipleOf = typeof node.multipleOf === 'number' ? node.multipleOf : undefined;
  if (multipleOf !== undefined) {
    // Ajv's check (no multipleOfPrecision): data / multipleOf must be an integer in floating point, so
    // 0.3 is not a multiple of 0.1 for it; keep the multiples it accepts.
    return fc
      .integer({ min: -100_000, max: 100_000 })
      .map((k) => Number((k * multipleOf).toPrecision(12)))
      .filter((v) => v / multipleOf === parseInt(String(v / multipleOf), 10))
      .filter((v) => (min === undefined || v >= min) && (max === undefined || v <= max));
  }
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: Math.ceil(min ?? -1_000_000), max: Math.floor(max ?? 1_000_000) }) },
    { weight: 3, arbitrary: fc.double({ noNaN: true, min: min ?? -1e6, max: max ?? 1e6 }) },
    // Up to the range ampseal passes on faithfully (±(2^53 − 1)); beyond it a schema-valid number (1e308 kWh) is
    // quarantined as number_out_of_range, which privacy.property.test.ts proves separately.
    {
      weight: 1,
      arbitrary: fc.double({
        noNaN: true,
        noDefaultInfinity: true,
        min: Math.max(min ?? -Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
        max: Math.min(max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      }),
    },
  );
}

function build(raw: JsonSchema, path: string, ctx: Context, depth: number): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH) throw new Error(`schema-arbitrary: deeper than ${MAX_DEPTH} at ${path}`);
  const override = ctx.overrides[path];
  if (override !== undefined) return override;
  const node = resolveRef(ctx.root, raw);
  if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as unknown[]));
  const type = node.type ?? (properties(node) ? 'object' : undefined);
  switch (type) {
    case 'object': {
      const props = properties(node) ?? {};
      const declared = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const requiredKeys: string[] = [];
      for (const [name, child] of Object.entries(props)) {
        const childPath = path === '' ? name : `${path}.${name}`;
        model[name] = build(child, childPath, ctx, depth + 1);
        if (declared.has(name) || isRequired(ctx, childPath)) requiredKeys.push(name);
      }
      return fc.record(model, { requiredKeys, noNullPrototype: true });
    }
    case 'array': {
      const itemPath = `${path}[]`;
      const items = build(node.items as JsonSchema, itemPath, ctx, depth + 1);
      const minItems = Math.max(typeof node.minItems === 'number' ? node.minItems : 0, isRequired(ctx, path) ? 1 : 0);
      const maxItems = Math.min(
        typeof node.maxItems === 'number' ? node.maxItems : Infinity,
        minItems + ctx.maxExtraItems,
      );
      return fc.array(items, { minLength: minItems, maxLength: Math.max(minItems, maxItems) });
    }
    case 'string':
      return stringArbitrary(node, ctx);
    case 'integer':
      if (ctx.integerBounds[path] !== undefined) {
        const [min, max] = ctx.integerBounds[path]!;
        return fc.integer({ min, max });
      }
      return integerArbitrary(node, ctx);
    case 'number':
      return numberArbitrary(node);
    case 'boolean':
      return fc.boolean();
    case undefined:
      // An untyped value, e.g. OCPP 2.0.1 DataTransfer.data: anything JSON.
      return fc.jsonValue({ maxDepth: 2 });
    default:
      throw new Error(`schema-arbitrary: unsupported type ${JSON.stringify(type)} at ${path || '/'}`);
  }
}

/** Valid instances of `schema` (the root of a schema file; `$ref`s resolve against it). */
export function schemaArbitrary(schema: JsonSchema, options: SchemaArbitraryOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const ctx: Context = {
    root: schema,
    require: options.require ?? [],
    maxExtraItems: options.maxExtraItems ?? 2,
    wideIntegers: options.wideIntegers ?? true,
    integerBounds: options.integerBounds ?? {},
    overrides: options.overrides ?? {},
    maxStringLength: options.maxStringLength ?? 48,
  };
  return build(schema, '', ctx, 0) as fc.Arbitrary<Record<string, unknown>>;
}
