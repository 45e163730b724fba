import type { AnalyticsEventType, CanonicalField, FieldRule } from '../catalog/types';
import type { Envelope } from '../envelope';
import { bucket, postalPrefix, snapToGrid, truncateTime } from '../generalize';
import type { IdentifierKind } from '../identifiers';
import { normalize, normalizeIdTag, normalizeIdToken, type NormalizedIdentifier } from '../normalize';
import type { CompiledPolicy, FieldAction } from '../policy';
import type { TokenOutcome, TokenStatus } from '../tokens';
import { isRecord, valueAt, walk, type CompiledMessage } from '../walker';

/** The JS form of schemas/avro/charging-session-event.avsc (what avsc encodes). */
export interface PseudonymizedIdentifier {
  readonly field: string;
  readonly kind: IdentifierKind;
  readonly status: TokenStatus;
  readonly token: string | null;
}

export type AvroSource = 'OCPP_1_6' | 'OCPP_2_0_1' | 'OCPI_2_2_1';

export type ChargingSessionEvent = {
  eventId: string;
  tenant: string;
  source: AvroSource;
  eventType: AnalyticsEventType;
  action: string;
  identifiers: PseudonymizedIdentifier[];
  droppedFields: number;
} & Record<CanonicalField, string | number | null>;

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
}

const AVRO_SOURCE: Record<Envelope['source'], AvroSource> = {
  'ocpp1.6': 'OCPP_1_6',
  'ocpp2.0.1': 'OCPP_2_0_1',
  'ocpi2.2.1': 'OCPI_2_2_1',
};

const TIME_FIELDS = new Set<CanonicalField>(['eventTime', 'receivedAt', 'startTime', 'endTime']);
const INT_FIELDS = new Set<CanonicalField>(['connectorId']);
const NUMBER_FIELDS = new Set<CanonicalField>([
  'meterWh',
  'energyKwh',
  'stateOfChargePercent',
  'totalCost',
  'latitude',
  'longitude',
]);

// OCPP 2.0.1 TransactionEventEnumType → analytics event type (the catalog gives TRANSACTION_UPDATED).
const TRANSACTION_EVENT: Record<string, AnalyticsEventType> = {
  Started: 'TRANSACTION_STARTED',
  Updated: 'TRANSACTION_UPDATED',
  Ended: 'TRANSACTION_ENDED',
};

function toNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
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

function coerce(field: CanonicalField, value: unknown, parent: Record<string, unknown>): string | number | undefined {
  if (TIME_FIELDS.has(field)) {
    const ms = typeof value === 'string' ? parseUtc(value) : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (INT_FIELDS.has(field)) {
    const n = toNumber(value);
    // connectorId is an Avro int: beyond 32 bits the encoder throws and the batch could never be written.
    return n !== undefined && n === (n | 0) ? n : undefined;
  }
  if (NUMBER_FIELDS.has(field)) {
    const n = toNumber(value);
    if (n === undefined) return undefined;
    return field === 'meterWh' ? toWh(n, parent) : n;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
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

/**
 * Collects an event's analytic content in one catalog walk. Undefined when the message yields no
 * analytics event (boot, status, heartbeat, data transfer, tokens…).
 */
export function extractAnalytics(
  envelope: Envelope,
  message: CompiledMessage,
  policy: CompiledPolicy,
): AnalyticsExtraction | undefined {
  let eventType = message.entry.eventType;
  if (eventType === undefined) return undefined;
  const root = payloadOf(envelope);
  if (envelope.source === 'ocpp2.0.1' && envelope.action === 'TransactionEvent' && envelope.direction === 'req') {
    eventType = TRANSACTION_EVENT[root.eventType as string] ?? eventType;
  }
  const values: Partial<Record<CanonicalField, string | number>> = {};
  const identifiers: Array<{ field: string; kind: IdentifierKind; value: string }> = [];
  const tokenized = policy.analytics.identifiers;

  const droppedFields = walk(message, root, {
    leaf(rule, value, parent) {
      if (rule.personalWhen && valueAt(root, rule.personalWhen.path) === rule.personalWhen.equals) return;
      if (rule.class === 'direct') {
        const id = identify(rule, value, parent);
        if (id !== undefined && tokenized.get(id.kind) === 'tokenize') identifiers.push({ field: rule.path, ...id });
        return;
      }
      // Blobs and free text never feed the record, whatever a row says.
      if (rule.field === undefined || rule.class === 'embedded' || rule.class === 'freetext') return;
      const coerced = coerce(rule.field, value, parent);
      if (coerced !== undefined) values[rule.field] = coerced;
    },
  });

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
  if (envelope.source !== 'ocpi2.2.1') values.stationId = envelope.stationId;
  if (envelope.receivedAtMs !== undefined) values.receivedAt = envelope.receivedAtMs;
  if (values.eventTime === undefined && envelope.receivedAtMs !== undefined) values.eventTime = envelope.receivedAtMs;
  const at = typeof values.eventTime === 'number' ? values.eventTime : (envelope.receivedAtMs ?? 0);
  const action = envelope.source === 'ocpi2.2.1' ? envelope.module : envelope.action;
  return { tenant: envelope.tenant, source: AVRO_SOURCE[envelope.source], action, eventType, values, identifiers, droppedFields, at };
}

function apply(field: CanonicalField, value: string | number | undefined, action: FieldAction | undefined): string | number | null {
  if (value === undefined || action === undefined || action.action === 'drop') return null;
  if (action.action === 'keep') return value;
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
  readonly template: Readonly<Record<string, unknown>>;
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
    ]);
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
  const record = { ...plan.template } as ChargingSessionEvent;
  record.eventId = eventId;
  record.tenant = extraction.tenant;
  record.source = extraction.source;
  record.eventType = extraction.eventType;
  record.action = extraction.action;
  const values = extraction.values;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    record[field] = apply(field, values[field], plan.actions[i]);
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
  return record;
}
