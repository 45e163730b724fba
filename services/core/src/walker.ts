import { isRecord } from './rules';
import type { FieldRule, MessageCatalog } from './catalog/types';

/**
 * Catalog rows compiled once per message into a property tree, so an event is walked in one pass with
 * Map look-ups and no per-event path parsing (style rule 12).
 */
export interface CatalogNode {
  readonly props: Map<string, CatalogNode>;
  items?: CatalogNode;
  /** Rows for this exact path, in catalog order: the first whose condition holds applies. */
  rules?: FieldRule[];
}

export interface CompiledMessage {
  readonly entry: MessageCatalog;
  readonly root: CatalogNode;
}

function node(): CatalogNode {
  return { props: new Map() };
}

export function compileMessage(entry: MessageCatalog): CompiledMessage {
  const root = node();
  for (const rule of entry.fields) {
    let at = root;
    for (const segment of rule.path.split('.')) {
      const isArray = segment.endsWith('[]');
      const name = isArray ? segment.slice(0, -2) : segment;
      let next = at.props.get(name);
      if (!next) at.props.set(name, (next = node()));
      if (isArray) next = next.items ??= node();
      at = next;
    }
    (at.rules ??= []).push(rule);
  }
  return { entry, root };
}

export { isRecord };

/** The first rule whose sibling condition holds for `parent`, or undefined. */
export function applicableRule(rules: readonly FieldRule[], parent: Record<string, unknown>): FieldRule | undefined {
  for (const rule of rules) {
    const cond = rule.when;
    if (!cond) return rule;
    const sibling = parent[cond.sibling];
    if (sibling === cond.equals || (sibling === undefined && cond.orAbsent === true)) return rule;
  }
  return undefined;
}

/** Value at a dotted path of plain properties (no arrays), for `personalWhen` conditions. */
export function valueAt(root: Record<string, unknown>, path: string): unknown {
  let at: unknown = root;
  for (const segment of path.split('.')) {
    if (!isRecord(at)) return undefined;
    at = at[segment];
  }
  return at;
}

export interface Visitor {
  /** A value the catalog knows. `parent` is the object holding it. */
  leaf(rule: FieldRule, value: unknown, parent: Record<string, unknown>): void;
}

/**
 * Visits every catalogued value of `obj` and returns how many properties the catalog does not know
 * (vendor customData, extensions): those are never visited, so they cannot reach an output.
 */
export function walk(message: CompiledMessage, obj: Record<string, unknown>, visitor: Visitor): number {
  return walkObject(message.root, obj, visitor);
}

function walkObject(at: CatalogNode, obj: Record<string, unknown>, visitor: Visitor): number {
  let unknown = 0;
  for (const key in obj) {
    const child = at.props.get(key);
    if (child === undefined) {
      unknown++;
      continue;
    }
    unknown += walkValue(child, obj[key], obj, visitor);
  }
  return unknown;
}

function walkValue(at: CatalogNode, value: unknown, parent: Record<string, unknown>, visitor: Visitor): number {
  if (value === null || value === undefined) return 0;
  if (at.rules !== undefined) {
    // A row on this path covers the value whole (a scalar, or an object/array the catalog treats as one).
    const rule = applicableRule(at.rules, parent);
    if (rule !== undefined) visitor.leaf(rule, value, parent);
    return 0;
  }
  if (Array.isArray(value)) {
    if (at.items === undefined) return 1;
    let unknown = 0;
    for (const item of value) unknown += walkValue(at.items, item, parent, visitor);
    return unknown;
  }
  if (isRecord(value)) return walkObject(at, value, visitor);
  return 1;
}

/**
 * Copies the catalogued values of `obj` that `keep` allows into a new object of the same shape; unknown
 * properties and refused values are left out. Used to reduce OCPI objects for a roaming partner.
 */
export function project(
  message: CompiledMessage,
  obj: Record<string, unknown>,
  keep: (rule: FieldRule) => boolean,
): { object: Record<string, unknown>; dropped: number } {
  const counter = { dropped: 0 };
  const object = projectObject(message.root, obj, keep, counter);
  return { object, dropped: counter.dropped };
}

function projectObject(
  at: CatalogNode,
  obj: Record<string, unknown>,
  keep: (rule: FieldRule) => boolean,
  counter: { dropped: number },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in obj) {
    const child = at.props.get(key);
    if (child === undefined) {
      counter.dropped++;
      continue;
    }
    const value = projectValue(child, obj[key], obj, keep, counter);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function projectValue(
  at: CatalogNode,
  value: unknown,
  parent: Record<string, unknown>,
  keep: (rule: FieldRule) => boolean,
  counter: { dropped: number },
): unknown {
  if (value === undefined) return undefined;
  if (at.rules !== undefined) {
    const rule = applicableRule(at.rules, parent);
    if (rule !== undefined && keep(rule)) return value;
    counter.dropped++;
    return undefined;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    if (at.items === undefined) {
      counter.dropped++;
      return undefined;
    }
    const out: unknown[] = [];
    for (const item of value) {
      const v = projectValue(at.items, item, parent, keep, counter);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (isRecord(value)) return projectObject(at, value, keep, counter);
  counter.dropped++;
  return undefined;
}
