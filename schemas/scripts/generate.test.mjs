// The generator's refusals (node:test, no dependency): a schema the core could misread yields no module.
// Run: npm test -w @ampseal/schemas
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from './generate.mjs';

const SCHEMA = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'avro', 'charging-session-event.avsc');
const schema = () => JSON.parse(readFileSync(SCHEMA, 'utf8'));
const field = (s, name) => s.fields.find((f) => f.name === name);

test('the canonical fields are the record fields between action and identifiers, in schema order', () => {
  const s = schema();
  const names = s.fields.map((f) => f.name);
  const expected = names.slice(names.indexOf('action') + 1, names.indexOf('identifiers'));
  const out = render(s);
  const listed = out.match(/export const CANONICAL_FIELDS = \[([^\]]*)\]/)[1].match(/'[^']+'/g).map((q) => q.slice(1, -1));
  assert.deepEqual(listed, expected);
});

test('a field added to the schema with a new policy class shows up in the generated sets', () => {
  const s = schema();
  const at = s.fields.findIndex((f) => f.name === 'identifiers');
  s.fields.splice(at, 0, { name: 'powerKw', type: ['null', 'double'], default: null, 'ampseal.class': 'quantity' });
  const out = render(s);
  assert.match(out, /export const QUANTITY_FIELDS = \[[^\]]*'powerKw'\]/);
  assert.match(out, /powerKw: 'double'/);
  assert.match(out, /powerKw: number \| null;/);
});

test('refuses an unknown ampseal attribute (a typo would silently drop a policy class)', () => {
  const s = schema();
  field(s, 'meterWh')['ampseal.clas'] = 'quantity';
  assert.throws(() => render(s), /unknown attribute ampseal\.clas/);
});

test('refuses a numeric policy class on a string field', () => {
  const s = schema();
  field(s, 'city')['ampseal.class'] = 'quantity';
  assert.throws(() => render(s), /needs a numeric field/);
});

test('refuses a canonical field of a type the core cannot read', () => {
  const s = schema();
  field(s, 'meterWh').type = ['null', 'float'];
  assert.throws(() => render(s), /the core knows time, int, double, string, boolean/);
});

test('refuses policy attributes outside the canonical fields', () => {
  const s = schema();
  field(s, 'eventId')['ampseal.link'] = 'event';
  assert.throws(() => render(s), /not canonical/);
});

test('refuses a schema avsc itself refuses', () => {
  const s = schema();
  field(s, 'connectorId').default = 'one';
  assert.throws(() => render(s));
});
