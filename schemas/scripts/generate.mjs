#!/usr/bin/env node
// Generates src/generated/analytics.ts from avro/charging-session-event.avsc: the record's TypeScript types, the
// canonical field list, each canonical field's value class, the policy classes declared in the schema
// (`ampseal.link`, `ampseal.class`, `ampseal.site`) and the enums. The .avsc is the one definition of the analytics
// record; the core reads these constants instead of keeping copies that drift.
//
//   node scripts/generate.mjs          write the module
//   node scripts/generate.mjs --check  exit 1 when the committed module differs from what the schema gives
//
// The generated module is committed (readers and editors see it without a build, and a review shows what a schema
// change does to the code); the build regenerates it (turbo `generate`), and the core test
// schema-generated.test.ts runs --check so a schema edited without regenerating fails the suite.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA = 'avro/charging-session-event.avsc';
const OUTPUT = 'src/generated/analytics.ts';

/** Canonical fields are the record fields strictly between these two (the envelope-free, policy-governed values). */
const FIRST_AFTER = 'action';
const LAST_BEFORE = 'identifiers';

/** Custom attributes this generator understands; any other `ampseal.*` attribute is a typo and stops generation. */
const FIELD_ATTRIBUTES = new Set(['ampseal.link', 'ampseal.class', 'ampseal.site', 'ampseal.token']);
const POLICY_CLASSES = { quantity: 'QUANTITY_FIELDS', coordinate: 'COORDINATE_FIELDS' };

function fail(message) {
  throw new Error(`${SCHEMA}: ${message}`);
}

function enumConst(name) {
  return `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_SYMBOLS`;
}

function jsdoc(text, indent) {
  if (text === undefined) return '';
  return `${indent}/** ${String(text).replace(/\*\//g, '*\\/')} */\n`;
}

function literal(value) {
  return JSON.stringify(value).replace(/"/g, "'");
}

function list(values) {
  return `[${values.map(literal).join(', ')}]`;
}

/** The value class of a canonical field's (non-null) Avro type: how the core reads and checks its values. */
function valueClass(field, type) {
  if (type === 'string' || type === 'int' || type === 'double' || type === 'boolean') return type;
  if (typeof type === 'object' && type.type === 'long' && type.logicalType === 'timestamp-millis') return 'time';
  return fail(`canonical field ${field} has type ${JSON.stringify(type)}: the core knows time, int, double, string, boolean`);
}

function nonNull(type) {
  if (!Array.isArray(type)) return { type, nullable: false };
  const rest = type.filter((t) => t !== 'null');
  if (rest.length !== 1) fail(`union ${JSON.stringify(type)} is not [null, T]`);
  return { type: rest[0], nullable: rest.length < type.length };
}

/** Renders the module for a parsed schema (exported so the test can compare without writing). */
export function render(schema) {
  // Parse with avsc first: a schema avsc refuses must not yield types for it.
  avro.Type.forSchema(schema);
  const enums = [];
  const records = [];
  const named = new Set();

  const tsType = (type) => {
    // `T | null`, as TypeScript reads best, whatever the union's order (Avro wants null first for a null default).
    if (Array.isArray(type)) return [...type.filter((t) => t !== 'null').map(tsType), ...(type.includes('null') ? ['null'] : [])].join(' | ');
    if (typeof type === 'string') {
      if (named.has(type)) return type;
      if (type === 'null') return 'null';
      if (type === 'string') return 'string';
      if (type === 'boolean') return 'boolean';
      if (type === 'int' || type === 'long' || type === 'float' || type === 'double') return 'number';
      return fail(`type ${type} has no TypeScript mapping here`);
    }
    if (type.type === 'enum') {
      named.add(type.name);
      enums.push(type);
      return type.name;
    }
    if (type.type === 'record') {
      named.add(type.name);
      const fields = type.fields.map((f) => ({ field: f, ts: tsType(f.type) }));
      records.push({ record: type, fields });
      return type.name;
    }
    if (type.type === 'array') {
      const item = tsType(type.items);
      return item.includes(' ') ? `Array<${item}>` : `${item}[]`;
    }
    // Without the `logicalTypes` option avsc reads timestamp-millis as its long: epoch milliseconds.
    return tsType(type.type);
  };
  tsType(schema);

  const fields = schema.fields;
  const from = fields.findIndex((f) => f.name === FIRST_AFTER);
  const to = fields.findIndex((f) => f.name === LAST_BEFORE);
  if (from < 0 || to < from) fail(`expected fields ${FIRST_AFTER} … ${LAST_BEFORE}`);
  const canonical = fields.slice(from + 1, to);

  const classes = {};
  const byValueClass = { time: [], int: [], double: [], string: [], boolean: [] };
  const links = [];
  const policy = { quantity: [], coordinate: [] };
  const sites = [];
  for (const f of fields) {
    for (const key of Object.keys(f)) {
      if (key.startsWith('ampseal.') && !FIELD_ATTRIBUTES.has(key)) fail(`field ${f.name}: unknown attribute ${key}`);
    }
    const isCanonical = canonical.includes(f);
    if (!isCanonical && (f['ampseal.link'] !== undefined || f['ampseal.class'] !== undefined || f['ampseal.site'] !== undefined)) {
      fail(`field ${f.name} is not canonical, so it takes no ampseal.link/class/site`);
    }
  }
  for (const f of canonical) {
    const { type } = nonNull(f.type);
    const cls = valueClass(f.name, type);
    classes[f.name] = cls;
    byValueClass[cls].push(f.name);
    const link = f['ampseal.link'];
    if (link !== undefined) {
      if (cls !== 'string' || typeof link !== 'string') fail(`link field ${f.name} must be a string field naming its scope`);
      links.push([f.name, link]);
    }
    const policyClass = f['ampseal.class'];
    if (policyClass !== undefined) {
      if (!Object.hasOwn(POLICY_CLASSES, policyClass)) fail(`field ${f.name}: ampseal.class must be one of ${Object.keys(POLICY_CLASSES).join(', ')}`);
      if (cls !== 'double' && cls !== 'int') fail(`field ${f.name}: ampseal.class ${policyClass} needs a numeric field`);
      policy[policyClass].push(f.name);
    }
    if (f['ampseal.site'] !== undefined) {
      if (f['ampseal.site'] !== true) fail(`field ${f.name}: ampseal.site must be true when present`);
      sites.push(f.name);
    }
  }

  let out = '';
  out += `// GENERATED by schemas/scripts/generate.mjs from schemas/${SCHEMA}. Do not edit: change the schema and run\n`;
  out += '// `npm run generate -w @ampseal/schemas` (the build does it too).\n\n';
  out += `/** Full name of the analytics record in the registry. */\n`;
  out += `export const ANALYTICS_RECORD_NAME = ${literal(`${schema.namespace}.${schema.name}`)};\n`;
  out += `/** The schema's \`ampseal.version\` (earlier versions are kept in schemas/avro/history/). */\n`;
  out += `export const ANALYTICS_SCHEMA_VERSION = ${JSON.stringify(schema['ampseal.version'])};\n`;

  for (const e of enums) {
    out += `\n${jsdoc(e.doc ?? `Avro enum ${e.name}.`, '')}`;
    out += `export const ${enumConst(e.name)} = ${list(e.symbols)} as const;\n`;
    out += `export type ${e.name} = (typeof ${enumConst(e.name)})[number];\n`;
  }

  // Records in dependency order (inner first) read badly; the outer record leads.
  for (const { record, fields: rf } of [...records].reverse()) {
    out += `\n${jsdoc(record.doc, '')}`;
    out += `export interface ${record.name} {\n`;
    for (const { field, ts } of rf) out += `${jsdoc(field.doc, '  ')}  ${field.name}: ${ts};\n`;
    out += '}\n';
  }

  out += `\n/** The record fields between \`${FIRST_AFTER}\` and \`${LAST_BEFORE}\`, in schema order: the values the audience policy governs. */\n`;
  out += `export const CANONICAL_FIELDS = [\n${canonical.map((f) => `  ${literal(f.name)},\n`).join('')}] as const;\n`;
  out += 'export type CanonicalField = (typeof CANONICAL_FIELDS)[number];\n';

  out += '\n/** How a canonical field\'s value is read, from its Avro type: time = long timestamp-millis (epoch ms). */\n';
  out += "export type ValueClass = 'time' | 'int' | 'double' | 'string' | 'boolean';\n";
  out += 'export const FIELD_VALUE_CLASSES = {\n';
  for (const f of canonical) out += `  ${f.name}: ${literal(classes[f.name])},\n`;
  out += '} as const satisfies Record<CanonicalField, ValueClass>;\n';
  for (const [cls, names] of Object.entries(byValueClass)) {
    out += `export const ${cls.toUpperCase()}_FIELDS = ${list(names)} as const satisfies readonly CanonicalField[];\n`;
  }

  out += '\n/** `ampseal.link`: operational ids analytics gets only as link tokens, each with the scope of its token. */\n';
  out += `export const LINK_FIELDS = {\n${links.map(([n, s]) => `  ${n}: ${literal(s)},\n`).join('')}} as const satisfies Partial<Record<CanonicalField, string>>;\n`;
  out += '\n/** `ampseal.class`: measured quantities (the `step` generalizer) and coordinates (the `grid` generalizer). */\n';
  for (const [cls, name] of Object.entries(POLICY_CLASSES)) {
    out += `export const ${name} = ${list(policy[cls])} as const satisfies readonly CanonicalField[];\n`;
  }
  out += '\n/** `ampseal.site`: fields that name the place of a record, blanked for private sites. */\n';
  out += `export const SITE_FIELDS = ${list(sites)} as const satisfies readonly CanonicalField[];\n`;
  return out;
}

function main() {
  const schema = JSON.parse(readFileSync(path.join(ROOT, SCHEMA), 'utf8'));
  const text = render(schema);
  const target = path.join(ROOT, OUTPUT);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // Missing counts as stale.
    }
    if (current !== text) {
      process.stderr.write(`schemas/${OUTPUT} is stale: run \`npm run generate -w @ampseal/schemas\` and commit it\n`);
      process.exit(1);
    }
    return;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
