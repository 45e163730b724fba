import type { LinkScope } from '../tokens';
import type { IdentifierKind } from '../identifiers';
import * as schema from '@ampseal/schemas';
import type { CanonicalField } from '@ampseal/schemas';

export type Source = 'ocpp1.6' | 'ocpp2.0.1' | 'ocpi2.2.1';
export const SOURCES: readonly Source[] = ['ocpp1.6', 'ocpp2.0.1', 'ocpi2.2.1'];

/** OCPP payload direction: `req` = CALL payload (frame[3]), `conf` = CALLRESULT payload (frame[2]). */
export type Direction = 'req' | 'conf';
export type OcpiModule = 'sessions' | 'cdrs' | 'tokens';

/**
 * The personal-data classes of docs/pii-catalog.md §0:
 * direct (DI), embedded (DI-E), quasi (QI), link (LNK), freetext (FT), operational (OP).
 */
export type FieldClass = 'direct' | 'embedded' | 'quasi' | 'link' | 'freetext' | 'operational';

/**
 * How a direct identifier's kind is decided:
 * - an IdentifierKind: fixed;
 * - `idTag`: OCPP 1.6 idTag, `uid`, or `vehicle` for the Autocharge form `VID:<12 hex>`;
 * - `idToken.type`: OCPP 2.0.1 IdTokenType.idToken, by the sibling `type` (eMAID → emaid,
 *   MacAddress → vehicle, NoAuthorization → no identifier, anything else → uid).
 */
export type KindRule = IdentifierKind | 'idTag' | 'idToken.type';

/**
 * The analytics record's fields, their value types and their policy classes come from the Avro schema
 * (schemas/avro/charging-session-event.avsc, generated into @ampseal/schemas): one definition, so the record the
 * core builds is the one the registry holds. A catalog row that names a canonical field says where its value
 * lands; the audience policy then says what it becomes.
 */
export { CANONICAL_FIELDS, type CanonicalField } from '@ampseal/schemas';

/**
 * Canonical fields whose values are free-form operational ids (station identity, transaction/session, reservation,
 * location and EVSE ids), marked `ampseal.link` in the schema. Deployments fill them with serials, card numbers,
 * contract ids and owners' names, so analytics may only `tokenize` (a keyed link token, see tokens.ts) or `drop`
 * them: `keep` is refused by the policy. The value is the scope of the link token.
 */
export const LINK_FIELDS = schema.LINK_FIELDS satisfies Partial<Record<CanonicalField, LinkScope>>;

export type LinkField = keyof typeof LINK_FIELDS;

export function isLinkField(field: CanonicalField): field is LinkField {
  return Object.hasOwn(LINK_FIELDS, field);
}

/** Value types of canonical fields (from their Avro types), for the policy's checks and the record's coercion. */
export const TIME_FIELDS: ReadonlySet<CanonicalField> = new Set<CanonicalField>(schema.TIME_FIELDS);
export const INT_FIELDS: ReadonlySet<CanonicalField> = new Set<CanonicalField>(schema.INT_FIELDS);
/** Coordinates (`"ampseal.class": "coordinate"`: the `grid` generalizer applies to these). */
export const COORDINATE_FIELDS: ReadonlySet<CanonicalField> = new Set<CanonicalField>(schema.COORDINATE_FIELDS);
/** Measured quantities (`"ampseal.class": "quantity"`: the `step` generalizer applies to these). */
export const QUANTITY_FIELDS: ReadonlySet<CanonicalField> = new Set<CanonicalField>(schema.QUANTITY_FIELDS);

/** Fields that name the place of a record (`ampseal.site`): blanked for private sites (home chargers), see analytics.ts. */
export const SITE_FIELDS = schema.SITE_FIELDS;

/** Analytics event types (the schema's EventType); a message without one yields no analytics record (it is counted as skipped). */
export const ANALYTICS_EVENT_TYPES = schema.EVENT_TYPE_SYMBOLS;
export type AnalyticsEventType = schema.EventType;

/** A condition on a sibling field of the same object (`format == "SignedData"`). */
export interface SiblingCondition {
  /** Name of a property of the same object as the field. */
  readonly sibling: string;
  /** Value the sibling must equal (strict, after JSON parsing). */
  readonly equals: string | number | boolean;
  /** True when an absent sibling counts as equal (OCPP defaults, e.g. measurand defaults to the energy register). */
  readonly orAbsent?: boolean;
}

export interface FieldRule {
  /** Dotted path inside the payload/object; `[]` marks array elements: `meterValue[].sampledValue[].value`. */
  readonly path: string;
  readonly class: FieldClass;
  /** Required when class is `direct`. */
  readonly kind?: KindRule;
  /** Analytics target, if the field feeds the canonical record. */
  readonly field?: CanonicalField;
  /**
   * The row applies only when this holds. Several rows may share a path: they are tried in catalog order and the
   * first that matches wins (a row without `when` always matches). So the specific cases come first and the last
   * row of a path has no `when`: e.g. a 1.6 `sampledValue[].value` is `embedded` when `format` is "SignedData",
   * else `meterWh` when `measurand` is the energy register or absent, else `stateOfChargePercent` when it is
   * "SoC", else operational. catalog.test.ts enforces that shape.
   */
  readonly when?: SiblingCondition;
  /**
   * Escalation: when the condition holds for the ROOT object (e.g. CDR `home_charging_compensation == true`),
   * the field is treated as `direct` personal data with no token (dropped for every audience).
   */
  readonly personalWhen?: { readonly path: string; readonly equals: string | number | boolean };
  /** Where the classification comes from (pii-catalog.md section, spec section). */
  readonly note?: string;
}

export interface MessageCatalog {
  /** `ocpp1.6:StartTransaction:req`, `ocpp2.0.1:TransactionEvent:req`, `ocpi2.2.1:cdrs`. */
  readonly key: string;
  readonly source: Source;
  /** OCPP action or OCPI module. */
  readonly message: string;
  /** OCPP only. */
  readonly direction?: Direction;
  readonly eventType?: AnalyticsEventType;
  /** Every leaf property of the message's schema, customData aside; rows of one path in `when` order. */
  readonly fields: readonly FieldRule[];
}

export function catalogKey(source: Source, message: string, direction?: Direction): string {
  return direction ? `${source}:${message}:${direction}` : `${source}:${message}`;
}
