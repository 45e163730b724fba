/**
 * Catalog rows of the data types that recur across messages, defined once each. A function takes the path of the
 * object (`idTokenInfo`, `localAuthorizationList[].idToken`, `meterValue[]`) and returns one row per leaf, in
 * the order the message entries list them, with the notes of pii-catalog.md §3 (OCPP 1.6), §4 (OCPP 2.0.1) and
 * §5 (OCPI 2.2.1). Options cover only what really differs between uses: which canonical field a value feeds.
 * Rows of one path stay adjacent and in `when` order (see FieldRule.when): first match wins.
 */
import type { CanonicalField, FieldClass, FieldRule } from './types';

/** `{ field }` when a row feeds a canonical field, nothing otherwise (so the row has no `field` key at all). */
const feeds = (field: CanonicalField | undefined): { field?: CanonicalField } => (field ? { field } : {});

// ---------------------------------------------------------------------------------------------------------------
// OCPP 1.6 (pii-catalog.md §3). The 1.6 schemas inline these types; the names are those of the spec's §7.

/** OCPP 1.6 IdTagInfo; `status: 'authorizationStatus'` in messages that make an AUTHORIZATION_RESULT record. */
export function idTagInfo16(prefix: string, options: { status?: 'authorizationStatus' } = {}): FieldRule[] {
  return [
    { path: `${prefix}.expiryDate`, class: 'quasi', note: 'pii-catalog §3: contract expiry' },
    {
      path: `${prefix}.parentIdTag`,
      class: 'direct',
      kind: 'group',
      note: 'pii-catalog §3: parentIdTag, shared account id (§3.10)',
    },
    { path: `${prefix}.status`, class: 'operational', ...feeds(options.status), note: 'pii-catalog §3' },
  ];
}

/** OCPP 1.6 MeterValue; `eventTime` where the message has no top-level timestamp, `meterWh` see sampledValue16. */
export function meterValue16(prefix: string, options: { eventTime: boolean; meterWh: boolean }): FieldRule[] {
  return [
    options.eventTime
      ? {
          path: `${prefix}.timestamp`,
          class: 'quasi',
          field: 'eventTime',
          note: 'pii-catalog §3: the message has no top-level timestamp',
        }
      : { path: `${prefix}.timestamp`, class: 'quasi', note: 'pii-catalog §3' },
    ...sampledValue16(`${prefix}.sampledValue[]`, { meterWh: options.meterWh }),
  ];
}

/** OCPP 1.6 §7.43 SampledValue; `meterWh: false` where the message has its own reading (StopTransaction.meterStop). */
export function sampledValue16(prefix: string, options: { meterWh: boolean }): FieldRule[] {
  const register = options.meterWh ? 'unit Wh or kWh' : 'no field: meterStop is authoritative';
  return [
    {
      path: `${prefix}.value`,
      class: 'embedded',
      when: { sibling: 'format', equals: 'SignedData' },
      note: 'pii-catalog §3: DI-E when format == "SignedData" (opaque signed blob, usually OCMF with ID, MS, GS, CI)',
    },
    {
      path: `${prefix}.value`,
      class: 'quasi',
      ...feeds(options.meterWh ? 'meterWh' : undefined),
      when: { sibling: 'measurand', equals: 'Energy.Active.Import.Register', orAbsent: true },
      note: `pii-catalog §3: OP/QI as meterStart: absolute energy register (the default measurand, §7.43), links sessions of one meter; ${register}`,
    },
    {
      path: `${prefix}.value`,
      class: 'quasi',
      field: 'stateOfChargePercent',
      when: { sibling: 'measurand', equals: 'SoC' },
      note: 'pii-catalog §3: SoC is privacy-sensitive (S8)',
    },
    { path: `${prefix}.value`, class: 'operational', note: 'pii-catalog §3: other measurands are measurements' },
    { path: `${prefix}.context`, class: 'operational', note: 'pii-catalog §3' },
    { path: `${prefix}.format`, class: 'operational', note: 'pii-catalog §3' },
    { path: `${prefix}.measurand`, class: 'operational', note: 'pii-catalog §3' },
    { path: `${prefix}.phase`, class: 'operational', note: 'pii-catalog §3' },
    { path: `${prefix}.location`, class: 'operational', note: 'pii-catalog §3' },
    { path: `${prefix}.unit`, class: 'operational', note: 'pii-catalog §3' },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// OCPP 2.0.1 (pii-catalog.md §4). Names are those of the schemas' `definitions`.

/** OCPP 2.0.1 IdTokenType (+ AdditionalInfoType); `group: true` for a groupIdToken (kind `group`, not by type). */
export function idTokenType(prefix: string, options: { group?: boolean } = {}): FieldRule[] {
  return [
    { path: `${prefix}.additionalInfo[].additionalIdToken`, class: 'direct', kind: 'extra', note: 'pii-catalog §4' },
    { path: `${prefix}.additionalInfo[].type`, class: 'operational', note: 'pii-catalog §4' },
    options.group
      ? {
          path: `${prefix}.idToken`,
          class: 'direct',
          kind: 'group',
          note: 'pii-catalog §4: every groupIdToken is a group',
        }
      : {
          path: `${prefix}.idToken`,
          class: 'direct',
          kind: 'idToken.type',
          note: 'pii-catalog §4: kind by sibling type (eMAID → emaid, MacAddress → vehicle, NoAuthorization → none, else uid)',
        },
    { path: `${prefix}.type`, class: 'operational', note: 'pii-catalog §4' },
  ];
}

/** OCPP 2.0.1 IdTokenInfoType; `status: 'authorizationStatus'` in messages that make an AUTHORIZATION_RESULT record. */
export function idTokenInfoType(prefix: string, options: { status?: 'authorizationStatus' } = {}): FieldRule[] {
  return [
    {
      path: `${prefix}.status`,
      class: 'operational',
      ...feeds(options.status),
      note: 'pii-catalog §4 IdTokenInfoType',
    },
    { path: `${prefix}.cacheExpiryDateTime`, class: 'quasi', note: 'pii-catalog §4 IdTokenInfoType' },
    { path: `${prefix}.chargingPriority`, class: 'operational', note: 'pii-catalog §4 IdTokenInfoType' },
    { path: `${prefix}.language1`, class: 'quasi', note: "pii-catalog §4 IdTokenInfoType: the user's language" },
    { path: `${prefix}.evseId[]`, class: 'operational', note: 'pii-catalog §4 IdTokenInfoType' },
    ...idTokenType(`${prefix}.groupIdToken`, { group: true }),
    { path: `${prefix}.language2`, class: 'quasi', note: "pii-catalog §4 IdTokenInfoType: the user's language" },
    { path: `${prefix}.personalMessage.format`, class: 'operational', note: 'pii-catalog §4 IdTokenInfoType' },
    { path: `${prefix}.personalMessage.language`, class: 'quasi', note: 'pii-catalog §4 IdTokenInfoType' },
    {
      path: `${prefix}.personalMessage.content`,
      class: 'freetext',
      note: "pii-catalog §4 IdTokenInfoType: FT-personal (greeting with the driver's name, balance…)",
    },
  ];
}

/** OCPP 2.0.1 MeterValueType; `eventTime` where the message has no top-level timestamp. */
export function meterValueType(prefix: string, options: { eventTime: boolean }): FieldRule[] {
  return [
    ...sampledValueType(`${prefix}.sampledValue[]`),
    options.eventTime
      ? {
          path: `${prefix}.timestamp`,
          class: 'quasi',
          field: 'eventTime',
          note: 'pii-catalog §4: the message has no top-level timestamp',
        }
      : {
          path: `${prefix}.timestamp`,
          class: 'quasi',
          note: 'pii-catalog §4: the message timestamp is the event time',
        },
  ];
}

/** OCPP 2.0.1 SampledValueType (+ SignedMeterValueType, UnitOfMeasureType): energy register, else SoC, else OP. */
export function sampledValueType(prefix: string): FieldRule[] {
  return [
    {
      path: `${prefix}.value`,
      class: 'quasi',
      field: 'meterWh',
      when: { sibling: 'measurand', equals: 'Energy.Active.Import.Register', orAbsent: true },
      note: 'pii-catalog §4: QI as §3 meterStart: absolute energy register (the default measurand); scale by unitOfMeasure',
    },
    {
      path: `${prefix}.value`,
      class: 'quasi',
      field: 'stateOfChargePercent',
      when: { sibling: 'measurand', equals: 'SoC' },
      note: 'pii-catalog §4: SoC measurand is QI',
    },
    { path: `${prefix}.value`, class: 'operational', note: 'pii-catalog §4: other measurands are measurements' },
    { path: `${prefix}.context`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.measurand`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.phase`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.location`, class: 'operational', note: 'pii-catalog §4' },
    {
      path: `${prefix}.signedMeterValue.signedMeterData`,
      class: 'embedded',
      note: 'pii-catalog §4: base64, usually OCMF (S10)',
    },
    { path: `${prefix}.signedMeterValue.signingMethod`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.signedMeterValue.encodingMethod`, class: 'operational', note: 'pii-catalog §4' },
    {
      path: `${prefix}.signedMeterValue.publicKey`,
      class: 'direct',
      kind: 'device',
      note: 'pii-catalog §4: identifies the meter across sessions',
    },
    { path: `${prefix}.unitOfMeasure.unit`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.unitOfMeasure.multiplier`, class: 'operational', note: 'pii-catalog §4' },
  ];
}

/** OCPP 2.0.1 CertificateHashDataType: the serial is linkable, the issuer hashes name the eMSP sub-CA. */
export function certificateHashDataType(prefix: string): FieldRule[] {
  return [
    { path: `${prefix}.hashAlgorithm`, class: 'operational', note: 'pii-catalog §4' },
    { path: `${prefix}.issuerNameHash`, class: 'quasi', note: 'pii-catalog §4: identifies the issuing eMSP sub-CA' },
    { path: `${prefix}.issuerKeyHash`, class: 'quasi', note: 'pii-catalog §4: identifies the issuing eMSP sub-CA' },
    {
      path: `${prefix}.serialNumber`,
      class: 'direct',
      kind: 'certserial',
      note: 'pii-catalog §4: certificate serial, linkable (kind proposed by the catalog)',
    },
  ];
}

/** OCPP 2.0.1 OCSPRequestDataType: CertificateHashDataType plus `responderURL`. */
export function ocspRequestDataType(prefix: string): FieldRule[] {
  return [
    ...certificateHashDataType(prefix),
    { path: `${prefix}.responderURL`, class: 'operational', note: 'pii-catalog §4' },
  ];
}

/** OCPP 2.0.1 StatusInfoType: `additionalInfo` is free text everywhere. */
export function statusInfoType(prefix: string): FieldRule[] {
  return [
    { path: `${prefix}.reasonCode`, class: 'operational', note: 'pii-catalog §4: not listed (OP)' },
    {
      path: `${prefix}.additionalInfo`,
      class: 'freetext',
      note: 'pii-catalog §4: statusInfo.additionalInfo everywhere: FT',
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// OCPI 2.2.1 (pii-catalog.md §5). Names are those of the spec's class tables.

/** OCPI 2.2.1 mod_cdrs CdrToken: `country_code`/`party_id` name the issuing eMSP (a routing key), not the driver. */
export function cdrToken(prefix: string): FieldRule[] {
  const emsp = 'pii-catalog §5: issuing eMSP, routing key for its own ocpi.roaming.{recipient}.v1 topic';
  return [
    { path: `${prefix}.country_code`, class: 'operational', note: emsp },
    { path: `${prefix}.party_id`, class: 'operational', note: emsp },
    { path: `${prefix}.uid`, class: 'direct', kind: 'uid', note: 'pii-catalog §5' },
    { path: `${prefix}.type`, class: 'operational', note: 'pii-catalog §5' },
    { path: `${prefix}.contract_id`, class: 'direct', kind: 'emaid', note: 'pii-catalog §5' },
  ];
}

/** OCPI 2.2.1 mod_cdrs CdrLocation (+ GeoLocation): place fields turn personal on home_charging_compensation. */
export function cdrLocation(prefix: string): FieldRule[] {
  const personalWhen = { path: 'home_charging_compensation', equals: true };
  const id = 'pii-catalog §5: QI; at a home charger the location/EVSE id points at the household as surely as its address';
  const address = "pii-catalog §5: QI; the driver's home address when home_charging_compensation == true";
  const home = (name: string, note: string, field?: CanonicalField): FieldRule => ({
    path: `${prefix}.${name}`,
    class: 'quasi',
    ...feeds(field),
    personalWhen,
    note,
  });
  return [
    home('id', id, 'locationId'),
    home('name', address),
    home('address', address),
    home('city', address, 'city'),
    home('postal_code', address, 'postalCode'),
    home('state', address),
    home('country', address, 'country'),
    home('coordinates.latitude', address, 'latitude'),
    home('coordinates.longitude', address, 'longitude'),
    home('evse_uid', id, 'evseUid'),
    home('evse_id', id),
    { path: `${prefix}.connector_id`, class: 'operational', note: 'pii-catalog §5' },
    { path: `${prefix}.connector_standard`, class: 'operational', note: 'pii-catalog §5' },
    { path: `${prefix}.connector_format`, class: 'operational', note: 'pii-catalog §5' },
    { path: `${prefix}.connector_power_type`, class: 'operational', note: 'pii-catalog §5' },
  ];
}

/** OCPI 2.2.1 mod_cdrs ChargingPeriod (dimensions: CdrDimension): a STATE_OF_CHARGE volume is a quasi-identifier. */
export function chargingPeriod(prefix: string): FieldRule[] {
  return [
    { path: `${prefix}.start_date_time`, class: 'quasi', note: 'pii-catalog §5' },
    { path: `${prefix}.dimensions[].type`, class: 'operational', note: 'pii-catalog §5' },
    {
      path: `${prefix}.dimensions[].volume`,
      class: 'quasi',
      when: { sibling: 'type', equals: 'STATE_OF_CHARGE' },
      note: 'pii-catalog §5: SoC "can be seen as privacy-sensitive" (S8)',
    },
    { path: `${prefix}.dimensions[].volume`, class: 'operational', note: 'pii-catalog §5' },
    { path: `${prefix}.tariff_id`, class: 'operational', note: 'pii-catalog §5' },
  ];
}

/** OCPI 2.2.1 types Price: both amounts share class and note (spend QI, tariff price OP); `field` feeds excl_vat. */
export function price(
  prefix: string,
  options: { class: FieldClass; note: string; field?: CanonicalField },
): FieldRule[] {
  return [
    { path: `${prefix}.excl_vat`, class: options.class, ...feeds(options.field), note: options.note },
    { path: `${prefix}.incl_vat`, class: options.class, note: options.note },
  ];
}
