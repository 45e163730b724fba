import {
  isLinkField,
  LINK_FIELDS,
  SITE_FIELDS,
  type AnalyticsEventType,
  type CanonicalField,
  type FieldRule,
  type LinkField,
} from '../catalog/types';
import type { Envelope } from '../envelope';
import { bucket, postalPrefix, snapToGrid, truncateTime } from '../generalize';
import type { IdentifierKind } from '../identifiers';
import { normalize, normalizeIdTag, normalizeIdToken, type NormalizedIdentifier } from '../normalize';
import type { CompiledPolicy, FieldAction } from '../policy';
import type { ReasonCode } from '../errors';
import type { SiteLinks, TokenOutcome } from '../tokens';
import { FIELD_VALUE_CLASSES, type ChargingSessionEvent, type Source } from '@ampseal/schemas';
import { isRecord, valueAt, walk, type CompiledMessage } from '../walker';

/** The JS form of schemas/avro/charging-session-event.avsc (what avsc encodes), generated from it. */
export type { ChargingSessionEvent, PseudonymizedIdentifier } from '@ampseal/schemas';
/** The schema's Source enum: the protocol of the input. */
export type AvroSource = Source;

/** What one event contributes before tokens are known: pure, computed once per event. */
export interface AnalyticsExtraction {
  readonly tenant: string;
  readonly source: AvroSource;
  /** The OCPP action, or the OCPI module. */
  readonly action: string;
  readonly eventType: AnalyticsEventType;
  readonly values: Partial<Record<CanonicalField, string | number>>;
  /** Identifiers the policy tokenizes, normalized, in input order. */
  readonly identifiers: Array<{ readonly field: string; readonly kind: IdentifierKind; readonly value: string }>;
  readonly droppedFields: number;
  /** Event time (epoch ms): the replay-safety clock of design §5. */
  readonly at: number;
  /** The record is about a private site (home charger, private location): see `extractAnalytics`. */
  readonly privateSite: boolean;
  /** Site ids this record teaches to be private (a home-charging CDR's location and EVSE), not yet known. */
  readonly learnedSites?: readonly string[];
}

/** Why an event cannot be represented faithfully: quarantined with the place and the rule, never the value. */
export interface ExtractionFailure {
  readonly failure: { readonly reason: ReasonCode; readonly pointer: string; readonly keyword: string };
}

const AVRO_SOURCE: Record<Envelope['source'], AvroSource> = {
  'ocpp1.6': 'OCPP_1_6',
  'ocpp2.0.1': 'OCPP_2_0_1',
  'ocpi2.2.1': 'OCPI_2_2_1',
};

/** How far a payload's time may run ahead of receivedAt (station clocks drift; NTP-less chargers by minutes). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A numeric field whose value must not be coerced: quarantined (reason, rule). */
interface NumberProblem {
  readonly reason: 'bad_number' | 'number_out_of_range';
  readonly keyword: 'decimal' | 'range';
}
const NOT_DECIMAL: NumberProblem = { reason: 'bad_number', keyword: 'decimal' };
const OUT_OF_RANGE: NumberProblem = { reason: 'number_out_of_range', keyword: 'range' };

// OCPP 2.0.1 TransactionEventEnumType → analytics event type (the catalog gives TRANSACTION_UPDATED).
const TRANSACTION_EVENT: Record<string, AnalyticsEventType> = {
  Started: 'TRANSACTION_STARTED',
  Updated: 'TRANSACTION_UPDATED',
  Ended: 'TRANSACTION_ENDED',
};

/**
 * Numbers written as text (OCPP 1.6 SampledValue.value, OCPI coordinates) in plain decimal notation only. `Number()`
 * also reads hex, binary, octal, exponents, `Infinity` and whitespace: a sampled value "0x04A2B3C4D5E6F7" became a
 * card UID in decimal in the meter field.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * A finite number within ±2^53: beyond it JSON parsing has already rounded an integer (its digits are lost), and a
 * double there cannot be passed on faithfully. Undefined for a value that is not a number or numeric text at all.
 */
function strictNumber(value: unknown): number | NumberProblem | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    if (!DECIMAL.test(value)) return NOT_DECIMAL;
    n = Number(value);
  } else return undefined;
  return Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : OUT_OF_RANGE;
}

function isProblem(value: unknown): value is NumberProblem {
  return value === NOT_DECIMAL || value === OUT_OF_RANGE;
}

/**
 * Energy register values arrive in Wh or kWh (OCPP 1.6 SampledValue.unit), or with a power-of-ten
 * multiplier (OCPP 2.0.1 UnitOfMeasureType); the record holds Wh.
 */
function toWh(value: number, parent: Record<string, unknown>): number {
  const uom = isRecord(parent.unitOfMeasure) ? parent.unitOfMeasure : undefined;
  const unit = uom ? uom.unit : parent.unit;
  let wh = unit === 'kWh' ? value * 1000 : value;
  const multiplier = uom ? uom.multiplier : undefined;
  if (typeof multiplier === 'number' && multiplier !== 0) wh *= 10 ** multiplier;
  return wh;
}

// OCPI 2.2.1 DateTime may omit the zone and then means UTC (types.asciidoc); Date.parse would read it as
// local time, shifting event times and the erasure clock on any host not running in UTC.
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

function parseUtc(text: string): number {
  return Date.parse(HAS_ZONE.test(text) ? text : `${text}Z`);
}

/**
 * A catalog value in the form of its record field, by the field's Avro type (FIELD_VALUE_CLASSES, generated from
 * the schema): a field added to the schema is read by its type, and a new type stops the build here.
 */
function coerce(field: CanonicalField, value: unknown, parent: Record<string, unknown>): string | number | NumberProblem | undefined {
  const valueClass = FIELD_VALUE_CLASSES[field];
  switch (valueClass) {
    case 'time': {
      const ms = typeof value === 'string' ? parseUtc(value) : NaN;
      return Number.isFinite(ms) ? ms : undefined;
    }
    case 'int': {
      const n = strictNumber(value);
      if (n === undefined || isProblem(n)) return n;
      // connectorId is an Avro int: beyond 32 bits the encoder would throw and the batch could never be written.
      return n === (n | 0) ? n : OUT_OF_RANGE;
    }
    case 'double': {
      const n = strictNumber(value);
      if (n === undefined || isProblem(n) || field !== 'meterWh') return n;
      const wh = toWh(n, parent);
      return Number.isFinite(wh) && Math.abs(wh) <= Number.MAX_SAFE_INTEGER ? wh : OUT_OF_RANGE;
    }
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    default: {
      const unhandled: never = valueClass;
      return unhandled;
    }
  }
}

function identify(rule: FieldRule, value: unknown, parent: Record<string, unknown>): NormalizedIdentifier | undefined {
  const raw = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  if (raw === undefined || rule.kind === undefined) return undefined;
  // OCPP 1.6 idTag and OCPI cdr_token.uid / Token.uid (catalog kind `uid`): an Autocharge `VID:<MAC>` is the
  // vehicle, so one car gets one token over 1.6, 2.0.1 (MacAddress) and OCPI (normalize.ts rule 5).
  if (rule.kind === 'idTag' || rule.kind === 'uid') return normalizeIdTag(raw);
  if (rule.kind === 'idToken.type') return normalizeIdToken(raw, parent.type);
  const normalized = normalize(rule.kind, raw);
  return normalized === undefined ? undefined : { kind: rule.kind, value: normalized };
}

function payloadOf(envelope: Envelope): Record<string, unknown> {
  return envelope.source === 'ocpi2.2.1' ? envelope.object : (envelope.payload ?? {});
}

/** Where the payload sits in the record, so failure pointers point into the whole record like the parser's. */
function payloadPointer(envelope: Envelope): string {
  if (envelope.source === 'ocpi2.2.1') return '/object';
  return envelope.messageType === 'CALL' ? '/frame/3' : '/frame/2';
}

/** The text of an operational id as the stream carries it (OCPP 1.6 transaction ids are integers). */
function linkText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** The first concrete JSON pointer of a catalog path (`a[].b`) whose value is `target`: for quarantine records only. */
export function pointerOf(root: Record<string, unknown>, path: string, target: unknown): string {
  const segments = path.split('.');
  const search = (at: unknown, i: number, pointer: string): string | undefined => {
    if (i === segments.length) return at === target ? pointer : undefined;
    if (!isRecord(at)) return undefined;
    const segment = segments[i]!;
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    const child = at[name];
    const here = `${pointer}/${name}`;
    if (!isArray) return search(child, i + 1, here);
    if (!Array.isArray(child)) return undefined;
    for (let k = 0; k < child.length; k++) {
      const found = search(child[k], i + 1, `${here}/${k}`);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return search(root, 0, '') ?? `/${path.replace(/\[\]/g, '').replace(/\./g, '/')}`;
}

/**
 * Collects an event's analytic content in one catalog walk. Undefined when the message yields no analytics
 * event (boot, status, heartbeat, data transfer, tokens…); a failure when a numeric field cannot be read
 * faithfully (the record is quarantined, never coerced).
 *
 * Operational ids (LINK_FIELDS) become link tokens here, and private sites are decided here: a record is about a
 * private site when its station, location or EVSE id is on the tenant's policy list or was learned as private
 * (`links.isPrivate`), or when it is a home-charging CDR (catalog `personalWhen` on the location rows). Such a
 * record gets no location id, no EVSE uid, no city and no coordinates (the postal-code prefix and country stay,
 * except for a home-charging CDR, whose address is the driver's own and is dropped whole by the catalog), and its
 * link tokens come from the private domain, so they join neither public-station analytics nor the records of the
 * same charge seen before the site was known to be private.
 */
export function extractAnalytics(
  envelope: Envelope,
  message: CompiledMessage,
  policy: CompiledPolicy,
  links: SiteLinks,
  maxClockSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
): AnalyticsExtraction | ExtractionFailure | undefined {
  let eventType = message.entry.eventType;
  if (eventType === undefined) return undefined;
  const root = payloadOf(envelope);
  if (envelope.source === 'ocpp2.0.1' && envelope.action === 'TransactionEvent' && envelope.direction === 'req') {
    eventType = TRANSACTION_EVENT[root.eventType as string] ?? eventType;
  }
  const values: Partial<Record<CanonicalField, string | number>> = {};
  const linkValues: Partial<Record<LinkField, string>> = {};
  const identifiers: Array<{ field: string; kind: IdentifierKind; value: string }> = [];
  const tokenized = policy.analytics.identifiers;
  let homeSites: string[] | undefined;
  let problem: { rule: FieldRule; value: unknown; problem: NumberProblem } | undefined;
  let eventTimeFrom: { rule: FieldRule; value: unknown } | undefined;

  const droppedFields = walk(message, root, {
    leaf(rule, value, parent) {
      if (rule.personalWhen && valueAt(root, rule.personalWhen.path) === rule.personalWhen.equals) {
        // Dropped from the record; a site id here is a home (CDR home_charging_compensation) to learn.
        if (rule.field === 'locationId' || rule.field === 'evseUid') {
          const site = linkText(value);
          if (site !== undefined) (homeSites ??= []).push(site);
        }
        return;
      }
      if (rule.class === 'direct') {
        const id = identify(rule, value, parent);
        if (id !== undefined && tokenized.get(id.kind) === 'tokenize') identifiers.push({ field: rule.path, ...id });
        return;
      }
      // Blobs and free text never feed the record, whatever a row says.
      if (rule.field === undefined || rule.class === 'embedded' || rule.class === 'freetext') return;
      if (isLinkField(rule.field)) {
        const text = linkText(value);
        if (text !== undefined) linkValues[rule.field] = text;
        return;
      }
      const coerced = coerce(rule.field, value, parent);
      if (coerced === undefined) return;
      if (isProblem(coerced)) {
        problem ??= { rule, value, problem: coerced };
        return;
      }
      values[rule.field] = coerced;
      if (rule.field === 'eventTime') eventTimeFrom = { rule, value };
    },
  });
  if (problem !== undefined) {
    const { rule, value, problem: p } = problem;
    return { failure: { reason: p.reason, keyword: p.keyword, pointer: payloadPointer(envelope) + pointerOf(root, rule.path, value) } };
  }

  if (envelope.fleet) {
    for (const [field, kind] of [
      ['vehicleId', 'vehicle'],
      ['driverId', 'driver'],
    ] as const) {
      const raw = envelope.fleet[field];
      const value = raw === undefined ? undefined : normalize(kind, raw);
      if (value !== undefined && tokenized.get(kind) === 'tokenize') identifiers.push({ field: `fleet.${field}`, kind, value });
    }
  }
  if (envelope.source !== 'ocpi2.2.1') linkValues.stationId = envelope.stationId;

  // Private site: the policy's list, ids learned from the stream, or a home-charging CDR (which teaches its ids).
  const listed = policy.tenants.get(envelope.tenant)?.privateSites;
  const isPrivate = (id: string | undefined): boolean => id !== undefined && (listed?.has(id) === true || links.isPrivate(id));
  let learnedSites: string[] | undefined;
  if (homeSites !== undefined) {
    for (const site of homeSites) if (!isPrivate(site)) (learnedSites ??= []).push(site);
  }
  const privateSite =
    homeSites !== undefined || isPrivate(linkValues.stationId) || isPrivate(linkValues.locationId) || isPrivate(linkValues.evseUid);
  if (privateSite) {
    for (const field of SITE_FIELDS) {
      delete values[field];
      if (isLinkField(field)) delete linkValues[field];
    }
  }
  for (const field in linkValues) {
    const link = field as LinkField;
    if (policy.analytics.fields.get(link)?.action !== 'tokenize') continue;
    values[link] = links.token(LINK_FIELDS[link], linkValues[link]!, privateSite);
  }

  // The erasure clock (keyring SPEC K17) trusts neither clock alone: the earlier of the payload's time and the
  // platform's receivedAt, and a payload time further ahead than the allowed skew is refused. Otherwise a station
  // whose clock says 9999 would move a pre-erasure event past the erasure and link it to the new pseudonym.
  const received = envelope.receivedAtMs;
  const payloadTime = typeof values.eventTime === 'number' ? values.eventTime : undefined;
  if (payloadTime !== undefined && received !== undefined && payloadTime - received > maxClockSkewMs && eventTimeFrom !== undefined) {
    const pointer = payloadPointer(envelope) + pointerOf(root, eventTimeFrom.rule.path, eventTimeFrom.value);
    return { failure: { reason: 'event_time_ahead', keyword: 'range', pointer } };
  }
  if (received !== undefined) values.receivedAt = received;
  if (payloadTime === undefined && received !== undefined) values.eventTime = received;
  const at = payloadTime === undefined ? (received ?? 0) : received === undefined ? payloadTime : Math.min(payloadTime, received);
  const action = envelope.source === 'ocpi2.2.1' ? envelope.module : envelope.action;
  const extraction: AnalyticsExtraction = {
    tenant: envelope.tenant,
    source: AVRO_SOURCE[envelope.source],
    action,
    eventType,
    values,
    identifiers,
    droppedFields,
    at,
    privateSite,
  };
  return learnedSites === undefined ? extraction : { ...extraction, learnedSites };
}

function apply(field: CanonicalField, value: string | number | undefined, action: FieldAction | undefined): string | number | null {
  if (value === undefined || action === undefined || action.action === 'drop') return null;
  // A link field's value is already its token (extractAnalytics).
  if (action.action === 'keep' || action.action === 'tokenize') return value;
  const g = action.generalizer;
  if ('time' in g) return typeof value === 'number' ? truncateTime(value, g.time) : null;
  if ('grid' in g) return typeof value === 'number' ? snapToGrid(value, g.grid) : null;
  if ('prefix' in g) return typeof value === 'string' ? postalPrefix(value, g.prefix) : null;
  return typeof value === 'number' ? bucket(value, g.step) : null;
}

/**
 * Per policy and field list, prepared once: a template with every key in its final order, and each field's
 * action looked up once instead of per event. Records used to get their ~30 keys by computed-key stores,
 * which puts a V8 object in dictionary mode past a dozen keys: every record was a hash table (about 1.7 KB
 * allocated per record) and the Avro writer read it by hash lookups. A spread of a fast-mode template is one
 * allocation with one hidden class. Object.fromEntries builds the template in fast mode; a loop of
 * `template[field] = null` would not.
 */
interface RecordPlan {
  readonly template: Readonly<ChargingSessionEvent>;
  readonly actions: readonly (FieldAction | undefined)[];
}

const plans = new WeakMap<CompiledPolicy, WeakMap<readonly CanonicalField[], RecordPlan>>();

function planFor(policy: CompiledPolicy, fields: readonly CanonicalField[]): RecordPlan {
  let byFields = plans.get(policy);
  if (byFields === undefined) plans.set(policy, (byFields = new WeakMap()));
  let plan = byFields.get(fields);
  if (plan === undefined) {
    const template = Object.fromEntries([
      ['eventId', ''],
      ['tenant', ''],
      ['source', ''],
      ['eventType', ''],
      ['action', ''],
      ...fields.map((field) => [field, null] as const),
      ['identifiers', null],
      ['droppedFields', 0],
      ['privateSite', false],
    ]) as unknown as ChargingSessionEvent;
    plan = { template, actions: fields.map((field) => policy.analytics.fields.get(field)) };
    byFields.set(fields, plan);
  }
  return plan;
}

/** The record, once the batch's token outcomes are known (`outcomes` in the order of `identifiers`). */
export function buildAnalytics(
  extraction: AnalyticsExtraction,
  outcomes: readonly TokenOutcome[],
  policy: CompiledPolicy,
  eventId: string,
  fields: readonly CanonicalField[],
): ChargingSessionEvent {
  const plan = planFor(policy, fields);
  const record: ChargingSessionEvent = { ...plan.template };
  record.eventId = eventId;
  record.tenant = extraction.tenant;
  record.source = extraction.source;
  record.eventType = extraction.eventType;
  record.action = extraction.action;
  const values = extraction.values;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    // The schema types each field; apply() returns the value class the policy checked for it (policy.ts).
    (record as unknown as Record<CanonicalField, string | number | null>)[field] = apply(field, values[field], plan.actions[i]);
  }
  record.identifiers = extraction.identifiers.map((id, i) => {
    const outcome = outcomes[i]!;
    return {
      field: id.field,
      kind: id.kind,
      status: outcome.status,
      token: outcome.status === 'TOKENIZED' ? outcome.token : null,
    };
  });
  record.droppedFields = extraction.droppedFields;
  record.privateSite = extraction.privateSite;
  return record;
}
