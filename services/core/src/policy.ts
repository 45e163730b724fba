import { parse as parseYaml } from 'yaml';
import {
  CANONICAL_FIELDS,
  COORDINATE_FIELDS,
  isLinkField,
  QUANTITY_FIELDS,
  TIME_FIELDS,
  type CanonicalField,
  type FieldClass,
  type MessageCatalog,
} from './catalog/types';
import { isRecord as isObject, isTenant, TENANT_RULE } from './rules';
import { AmpsealError } from './errors';
import type { Generalizer, TimeGranularity } from './generalize';
import { IDENTIFIER_KINDS, type IdentifierKind } from './identifiers';
import { DAY_MS, durationDays, MAX_DURATION_DAYS, type Linkability } from './linkability';

/**
 * Audience policy (design §6): per audience, what each catalog field becomes. Parsed and validated once at
 * start; the result is frozen and looked up by plain Map access on the hot path.
 */
export type FieldAction =
  | { readonly action: 'keep' }
  | { readonly action: 'drop' }
  /** Link fields only (catalog/types.ts LINK_FIELDS): a keyed link token instead of the value. */
  | { readonly action: 'tokenize' }
  | { readonly action: 'generalize'; readonly generalizer: Generalizer };
export type IdentifierAction = 'tokenize' | 'drop';
export type RoamingAction = 'keep' | 'drop';

export interface CompiledPolicy {
  readonly analytics: {
    readonly identifiers: ReadonlyMap<IdentifierKind, IdentifierAction>;
    readonly fields: ReadonlyMap<CanonicalField, FieldAction>;
  };
  readonly roaming: {
    readonly classes: ReadonlyMap<FieldClass, RoamingAction>;
    /** Keys: `<module>:<path>` (a path may name a subtree). */
    readonly paths: ReadonlyMap<string, RoamingAction>;
  };
  /** Per tenant settings; a tenant not listed has none. */
  readonly tenants: ReadonlyMap<string, TenantPolicy>;
}

export interface TenantPolicy {
  /**
   * Ids of the tenant's private sites (home chargers, private locations), as the stream carries them: OCPP
   * station identities, OCPI location ids, EVSE uids. Matched exactly and in any scope. Every record at such a
   * site gets the private-site treatment (analytics.ts); ids learned from the stream add to this list.
   */
  readonly privateSites: ReadonlySet<string>;
  /**
   * Retention-bounded linkability (keyring SPEC K44–K50): tokens stable within an epoch of `window`, different across
   * epochs, unrecoverable once the epoch is older than `retention`. Absent: tokens never change by time.
   */
  readonly linkability?: Linkability;
}

const FIELD_CLASSES: readonly FieldClass[] = ['direct', 'embedded', 'quasi', 'link', 'freetext', 'operational'];
const PREFIX_FIELDS = new Set<CanonicalField>(['postalCode']);
/** Longest id a private-site entry may have (OCPP-J identity 48, OCPI ids 36, EVSE ids 48). */
const SITE_ID_MAX = 48;
const GRANULARITIES: readonly TimeGranularity[] = ['second', 'minute', 'hour', 'day'];

function fail(path: string, problem: string): never {
  throw new AmpsealError('POLICY_INVALID', `${path}: ${problem}`);
}


function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown key (expected one of ${allowed.join(', ')})`);
  }
}

function positive(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(path, 'expected a positive number');
  return v;
}

function parseGeneralizer(field: CanonicalField, raw: unknown, path: string): Generalizer {
  if (!isObject(raw) || Object.keys(raw).length !== 1) fail(path, 'expected exactly one of time, grid, prefix, step');
  const [name, value] = Object.entries(raw)[0]!;
  const sub = `${path}.${name}`;
  switch (name) {
    case 'time':
      if (!TIME_FIELDS.has(field)) fail(sub, `time generalization applies to ${[...TIME_FIELDS].join(', ')}`);
      if (!GRANULARITIES.includes(value as TimeGranularity)) fail(sub, `expected one of ${GRANULARITIES.join(', ')}`);
      return { time: value as TimeGranularity };
    case 'grid':
      if (!COORDINATE_FIELDS.has(field)) fail(sub, 'grid generalization applies to latitude and longitude');
      return { grid: positive(value, sub) };
    case 'prefix': {
      if (!PREFIX_FIELDS.has(field)) fail(sub, 'prefix generalization applies to postalCode');
      const n = positive(value, sub);
      if (!Number.isInteger(n)) fail(sub, 'expected a whole number of characters');
      return { prefix: n };
    }
    case 'step':
      if (!QUANTITY_FIELDS.has(field)) fail(sub, `step generalization applies to ${[...QUANTITY_FIELDS].join(', ')}`);
      return { step: positive(value, sub) };
    default:
      return fail(sub, 'unknown generalizer (expected time, grid, prefix or step)');
  }
}

function parseFieldAction(field: CanonicalField, raw: unknown, path: string): FieldAction {
  if (isLinkField(field)) {
    // Deployments fill these ids with serials, card numbers and owners' names: never verbatim to analytics.
    if (raw === 'tokenize' || raw === 'drop') return { action: raw };
    return fail(path, 'a free-form operational id reaches analytics only as a link token: use tokenize or drop');
  }
  if (raw === 'keep' || raw === 'drop') return { action: raw };
  if (raw === 'tokenize') fail(path, 'only identifiers and link fields are tokenized; list the kind under analytics.identifiers');
  if (isObject(raw) && 'generalize' in raw) {
    onlyKeys(raw, ['generalize'], path);
    return { action: 'generalize', generalizer: parseGeneralizer(field, raw.generalize, `${path}.generalize`) };
  }
  return fail(path, "expected keep, drop or { generalize: … }");
}

/** Catalog paths per OCPI module, for validating roaming path overrides. */
function ocpiPaths(catalog: readonly MessageCatalog[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const entry of catalog) {
    if (entry.source !== 'ocpi2.2.1') continue;
    out.set(entry.message, entry.fields.map((f) => f.path));
  }
  return out;
}

function namesCatalogPath(paths: readonly string[], path: string): boolean {
  return paths.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[]`));
}

export function compilePolicy(raw: unknown, catalog: readonly MessageCatalog[]): CompiledPolicy {
  if (!isObject(raw)) fail('policy', 'expected a mapping');
  onlyKeys(raw, ['version', 'analytics', 'roaming', 'tenants'], 'policy');
  if (raw.version !== 1) fail('policy.version', 'expected 1');

  const analytics = isObject(raw.analytics) ? raw.analytics : fail('policy.analytics', 'expected a mapping');
  onlyKeys(analytics, ['identifiers', 'fields'], 'analytics');
  const identifiers = new Map<IdentifierKind, IdentifierAction>();
  const rawIds = analytics.identifiers ?? {};
  if (!isObject(rawIds)) fail('analytics.identifiers', 'expected a mapping');
  for (const [kind, action] of Object.entries(rawIds)) {
    const path = `analytics.identifiers.${kind}`;
    if (!(IDENTIFIER_KINDS as readonly string[]).includes(kind)) {
      fail(path, `unknown identifier kind (expected one of ${IDENTIFIER_KINDS.join(', ')})`);
    }
    if (action === 'keep') fail(path, 'analytics never receives a clear identifier: use tokenize or drop');
    if (action !== 'tokenize' && action !== 'drop') fail(path, 'expected tokenize or drop');
    identifiers.set(kind as IdentifierKind, action);
  }
  const fields = new Map<CanonicalField, FieldAction>();
  const rawFields = analytics.fields ?? {};
  if (!isObject(rawFields)) fail('analytics.fields', 'expected a mapping');
  for (const [name, action] of Object.entries(rawFields)) {
    const path = `analytics.fields.${name}`;
    if (!(CANONICAL_FIELDS as readonly string[]).includes(name)) {
      fail(path, `not a field of ChargingSessionEvent (expected one of ${CANONICAL_FIELDS.join(', ')})`);
    }
    fields.set(name as CanonicalField, parseFieldAction(name as CanonicalField, action, path));
  }

  const roaming = isObject(raw.roaming) ? raw.roaming : fail('policy.roaming', 'expected a mapping');
  onlyKeys(roaming, ['classes', 'paths'], 'roaming');
  const classes = new Map<FieldClass, RoamingAction>();
  const rawClasses = roaming.classes ?? {};
  if (!isObject(rawClasses)) fail('roaming.classes', 'expected a mapping');
  for (const [cls, action] of Object.entries(rawClasses)) {
    const path = `roaming.classes.${cls}`;
    if (!(FIELD_CLASSES as readonly string[]).includes(cls)) fail(path, `unknown class (expected one of ${FIELD_CLASSES.join(', ')})`);
    if (action !== 'keep' && action !== 'drop') fail(path, 'expected keep or drop');
    classes.set(cls as FieldClass, action);
  }
  const paths = new Map<string, RoamingAction>();
  const rawPaths = roaming.paths ?? {};
  if (!isObject(rawPaths)) fail('roaming.paths', 'expected a mapping');
  const known = ocpiPaths(catalog);
  for (const [key, action] of Object.entries(rawPaths)) {
    const path = `roaming.paths.${key}`;
    const sep = key.indexOf(':');
    const module = sep > 0 ? key.slice(0, sep) : '';
    const fieldPath = key.slice(sep + 1);
    const modulePaths = known.get(module);
    if (!modulePaths) fail(path, 'expected <module>:<path> with module sessions or cdrs');
    if (!namesCatalogPath(modulePaths, fieldPath)) fail(path, `no such field in the OCPI ${module} catalog`);
    if (action !== 'keep' && action !== 'drop') fail(path, 'expected keep or drop');
    paths.set(key, action);
  }

  // A link field the policy does not name is dropped like any other (default deny).
  return Object.freeze({
    analytics: Object.freeze({ identifiers, fields }),
    roaming: Object.freeze({ classes, paths }),
    tenants: parseTenants(raw.tenants),
  });
}

function parseTenants(raw: unknown): ReadonlyMap<string, TenantPolicy> {
  const tenants = new Map<string, TenantPolicy>();
  if (raw === undefined || raw === null) return tenants;
  if (!isObject(raw)) fail('tenants', 'expected a mapping of tenant names');
  for (const [tenant, settings] of Object.entries(raw)) {
    const path = `tenants.${tenant}`;
    if (!isTenant(tenant)) fail(path, `not a tenant name (${TENANT_RULE})`);
    if (!isObject(settings)) fail(path, 'expected a mapping');
    onlyKeys(settings, ['privateSites', 'linkability'], path);
    const sites = settings.privateSites ?? [];
    if (!Array.isArray(sites)) fail(`${path}.privateSites`, 'expected a list of station, location or EVSE ids');
    const privateSites = new Set<string>();
    sites.forEach((site, i) => {
      if (typeof site !== 'string' || site.length === 0 || site.length > SITE_ID_MAX) {
        // The index, not the value: the list holds ids that may name a person.
        fail(`${path}.privateSites[${i}]`, `expected a non-empty string of at most ${SITE_ID_MAX} characters`);
      }
      privateSites.add(site);
    });
    const linkability = settings.linkability === undefined ? undefined : parseLinkability(settings.linkability, `${path}.linkability`);
    tenants.set(tenant, Object.freeze({ privateSites, ...(linkability ? { linkability } : {}) }));
  }
  return tenants;
}

const DURATION_FORMS = `an ISO-8601 duration of one component: days, weeks, months (30 days) or years (365 days), e.g. P90D, P13W, P2Y; at most ${MAX_DURATION_DAYS} days`;

function parseLinkability(raw: unknown, path: string): Linkability {
  if (!isObject(raw)) fail(path, 'expected { window: <duration>, retention: <duration> }');
  onlyKeys(raw, ['window', 'retention'], path);
  const windowDays = durationDays(raw.window);
  if (windowDays === undefined) fail(`${path}.window`, `expected ${DURATION_FORMS}`);
  const retentionDays = durationDays(raw.retention);
  if (retentionDays === undefined) fail(`${path}.retention`, `expected ${DURATION_FORMS}`);
  // A retention shorter than the window would expire an epoch's first events while the epoch is still being written.
  if (retentionDays < windowDays) fail(`${path}.retention`, 'must be at least the window');
  return Object.freeze({
    window: raw.window as string,
    retention: raw.retention as string,
    windowMs: windowDays * DAY_MS,
    retentionMs: retentionDays * DAY_MS,
  });
}

export function parsePolicy(yamlText: string, catalog: readonly MessageCatalog[]): CompiledPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw new AmpsealError('POLICY_INVALID', `not valid YAML (${(err as Error).name})`);
  }
  return compilePolicy(raw, catalog);
}
