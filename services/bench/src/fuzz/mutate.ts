import type { Random } from '@ampseal/traffic';

/**
 * Structure-aware mutation of a valid input envelope (issue 11, "Soak and fuzz"): the record is parsed, one to
 * three edits are applied to its tree (the envelope, the OCPP frame, the payload or the OCPI object alike), and
 * the tree is written back by a serializer that can also write what JSON.stringify cannot: duplicate keys,
 * numbers outside the double range, nesting deeper than any parser's stack. Some records then get raw bytes
 * overwritten. Each edit is one a real producer has been seen to make, or one that targets a parser limit.
 * Pure and seeded: the same record and the same stream give the same bytes.
 */

export const MUTATIONS = [
  'drop_field',
  'duplicate_field',
  'retype_field',
  'swap_values',
  'extreme_number',
  'long_string',
  'lone_surrogate',
  'deep_nesting',
  'random_bytes',
  'identifier_moved',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Text written verbatim into the output: `1e400`, `-0`, a 10,000-deep array. */
class Raw {
  constructor(readonly text: string) {}
}

type Json = null | boolean | number | string | Raw | Json[] | { [key: string]: Json };

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
  readonly depth: number;
}

/** Keys a producer might add for its own use: none of them is in any schema or the catalog. */
const UNKNOWN_KEYS = ['note', 'comment', 'x-customer', 'customData', 'remark', 'meta', 'info_text', 'holder'];
const EXTREME_NUMBERS = ['1e308', '-1e308', '1e400', '-1e400', '-0', '9007199254740993', '-1', '-2147483649', '4294967296', '1e-400', '123456789012345678901234567890', '0.30000000000000004'];
const RETYPES: readonly (() => Json)[] = [() => null, () => true, () => 0, () => -1, () => '', () => 'x', () => [], () => ({}), () => 12.5, () => '123', () => [null]];
const LONG_LENGTHS = [300, 5_000, 70_000, 200_000];
const DEPTHS = [64, 1_000, 10_000, 100_000];

const WEIGHTS: ReadonlyArray<readonly [Mutation, number]> = [
  ['drop_field', 14],
  ['duplicate_field', 8],
  ['retype_field', 16],
  ['swap_values', 12],
  ['extreme_number', 10],
  ['long_string', 6],
  ['lone_surrogate', 6],
  ['deep_nesting', 4],
  ['random_bytes', 8],
  ['identifier_moved', 16],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pickMutation(rng: Random): Mutation {
  let r = rng.float() * TOTAL_WEIGHT;
  for (const [m, w] of WEIGHTS) {
    r -= w;
    if (r < 0) return m;
  }
  return WEIGHTS[WEIGHTS.length - 1]![0];
}

function isContainer(v: Json): v is Json[] | { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !(v instanceof Raw);
}

/** Every position under the root, depth first (the root itself cannot be replaced). */
function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (node: Json, depth: number) => {
    if (!isContainer(node)) return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        out.push({ parent: node, key: i, depth });
        walk(node[i]!, depth + 1);
      }
    } else {
      for (const key of Object.keys(node)) {
        out.push({ parent: node, key, depth });
        walk(node[key]!, depth + 1);
      }
    }
  };
  walk(root, 0);
  return out;
}

const get = (s: Slot): Json => (s.parent as Record<string | number, Json>)[s.key]!;
const set = (s: Slot, v: Json) => {
  (s.parent as Record<string | number, Json>)[s.key] = v;
};

function remove(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else delete s.parent[s.key as string];
}

function contains(outer: Json, inner: Json): boolean {
  if (outer === inner) return true;
  if (!isContainer(outer)) return false;
  return (Array.isArray(outer) ? outer : Object.values(outer)).some((v) => contains(v, inner));
}

/**
 * The serializer: JSON.stringify for strings (it escapes lone surrogates as \udXXX), Raw verbatim, duplicates
 * twice. A duplicate shares its value with the tree, and a later swap can move its object below that value: a
 * node met again on its own path is written as null instead of looping.
 */
function write(value: Json, duplicates: ReadonlyMap<object, ReadonlyArray<readonly [string, Json]>>, path = new Set<object>()): string {
  if (value instanceof Raw) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (path.has(value)) return 'null';
  path.add(value);
  let text: string;
  if (Array.isArray(value)) text = `[${value.map((v) => write(v, duplicates, path)).join(',')}]`;
  else {
    const parts = Object.keys(value).map((k) => `${JSON.stringify(k)}:${write(value[k]!, duplicates, path)}`);
    for (const [k, v] of duplicates.get(value) ?? []) parts.push(`${JSON.stringify(k)}:${write(v, duplicates, path)}`);
    text = `{${parts.join(',')}}`;
  }
  path.delete(value);
  return text;
}

export interface Mutated {
  readonly value: Buffer;
  /** The edits applied, in order (random_bytes last when present). */
  readonly mutations: readonly Mutation[];
}

/**
 * One to three edits of `value` (an envelope as JSON text). `identifiers`: the raw identifiers the record
 * carries (the traffic generator's `subjects`), which `identifier_moved` plants in fields no schema knows.
 */
export function mutate(rng: Random, value: string, identifiers: readonly string[]): Mutated {
  const root = JSON.parse(value) as Json;
  const duplicates = new Map<object, Array<readonly [string, Json]>>();
  const applied: Mutation[] = [];
  let bytes = false;
  const count = rng.int(1, 3);
  for (let n = 0; n < count; n++) {
    const mutation = pickMutation(rng);
    if (mutation === 'random_bytes') {
      bytes = true;
      continue;
    }
    const all = slots(root);
    if (all.length === 0) continue;
    const slot = rng.pick(all);
    const current = get(slot);
    switch (mutation) {
      case 'drop_field':
        remove(slot);
        break;
      case 'duplicate_field': {
        if (Array.isArray(slot.parent)) slot.parent.push(current);
        else {
          // The same key again, with another value: JSON.parse keeps the last, other parsers the first.
          const other = rng.pick(all);
          let list = duplicates.get(slot.parent);
          if (list === undefined) duplicates.set(slot.parent, (list = []));
          const theirs = get(other);
          // Never an ancestor of the object itself: that would be a cycle, not a duplicate.
          list.push([slot.key as string, contains(theirs, slot.parent) ? current : theirs]);
        }
        break;
      }
      case 'retype_field': {
        const was = Array.isArray(current) ? 'array' : current === null ? 'null' : typeof current;
        let next = rng.pick(RETYPES)();
        for (let tries = 0; tries < 4 && (Array.isArray(next) ? 'array' : next === null ? 'null' : typeof next) === was; tries++) next = rng.pick(RETYPES)();
        set(slot, next);
        break;
      }
      case 'swap_values': {
        const other = rng.pick(all);
        const theirs = get(other);
        if (other === slot || contains(current, theirs) || contains(theirs, current)) break;
        set(slot, theirs);
        set(other, current);
        break;
      }
      case 'extreme_number': {
        // Numbers first: a leaf holding a number is where a huge or negative one does harm.
        const numbers = all.filter((s) => typeof get(s) === 'number');
        set(numbers.length > 0 ? rng.pick(numbers) : slot, new Raw(rng.pick(EXTREME_NUMBERS)));
        break;
      }
      case 'long_string': {
        const strings = all.filter((s) => typeof get(s) === 'string');
        const target = strings.length > 0 ? rng.pick(strings) : slot;
        const length = rng.pick(LONG_LENGTHS);
        const seed = identifiers.length > 0 && rng.chance(0.5) ? rng.pick(identifiers) : typeof get(target) === 'string' && get(target) !== '' ? (get(target) as string) : 'A';
        set(target, seed.repeat(Math.ceil(length / seed.length)).slice(0, length));
        break;
      }
      case 'lone_surrogate': {
        const strings = all.filter((s) => typeof get(s) === 'string');
        const target = strings.length > 0 ? rng.pick(strings) : slot;
        const text = typeof get(target) === 'string' ? (get(target) as string) : '';
        const at = rng.int(0, text.length);
        const lone = String.fromCharCode((rng.chance(0.5) ? 0xd800 : 0xdc00) + rng.int(0, 0x3ff));
        set(target, text.slice(0, at) + lone + text.slice(at));
        break;
      }
      case 'deep_nesting': {
        const depth = rng.pick(DEPTHS);
        set(slot, new Raw(rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));
        break;
      }
      case 'identifier_moved': {
        if (identifiers.length === 0) break;
        const identifier = rng.pick(identifiers);
        const objects = all.map(get).filter((v): v is { [key: string]: Json } => isContainer(v) && !Array.isArray(v));
        const host = objects.length > 0 && rng.chance(0.8) ? rng.pick(objects) : (root as { [key: string]: Json });
        if (!isContainer(host) || Array.isArray(host)) break;
        host[rng.pick(UNKNOWN_KEYS)] = rng.chance(0.7) ? identifier : { id: identifier };
        // Half the time it moves rather than being copied: the field the catalog knows loses it.
        if (rng.chance(0.5)) {
          const origin = all.find((s) => get(s) === identifier);
          if (origin !== undefined) remove(origin);
        }
        break;
      }
    }
    applied.push(mutation);
  }
  let out = Buffer.from(write(root, duplicates), 'utf8');
  if (bytes) {
    out = Buffer.from(out);
    const edits = rng.int(1, 8);
    for (let i = 0; i < edits; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
    applied.push('random_bytes');
  }
  return { value: out, mutations: applied };
}
