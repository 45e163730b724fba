import type { IdentifierKind } from './identifiers';

/**
 * Normalization before any keyed operation (design §3), so one card yields one token however a charger
 * or a roaming partner writes it. Pure, allocation-light, regexes compiled once.
 *
 * The rules. Each one must neither merge two subjects (two cards, one token) nor split one (one card, two tokens);
 * where the two pull apart, merging is the worse failure, so a rule applies only to values of a recognised form.
 *
 * 1. Trim, then Unicode NFC (composed and decomposed forms of one text are one value). ASCII values skip NFC.
 * 2. Case: ASCII letters only, a-z → A-Z, after NFC. OCPP IdToken / OCPI CiString are case-insensitive, but
 *    full Unicode case mapping is not a match rule: it turns "straße" into "STRASSE" and the Turkish dotless
 *    "ıd-77" into "ID-77", merging values that differ. Non-ASCII letters keep their case.
 * 3. Separators are removed only from recognised forms:
 *    - hex UIDs (`uid`, `group`, `extra`): 4 to 10 bytes written as hex pairs with ONE separator character,
 *      the same between every pair (`04 A2 B3 C4`, `04:A2:B3:C4:D5:E6:F7`). RFID UIDs are 4, 7 or 10 bytes
 *      (ISO/IEC 14443-3) or 8 bytes (ISO/IEC 15693). `12-34-56` (3 bytes), mixed separators (`04-A2:B3 C4`)
 *      and anything that is not hex keep their characters: they are ids of another form (app, contract,
 *      fleet card numbers) whose hyphens mean something.
 *    - eMAIDs (`emaid`): ISO 15118-2 Annex H / DIN SPEC 91286 form, 2 letters country, 3 alphanumerics
 *      provider, 9 alphanumerics instance, optional check character, with or without a hyphen at each of
 *      those boundaries (`DE-8AA-123A45B67-8` = `DE8AA123A45B678`). An OCPI contract_id or 2.0.1 eMAID
 *      idToken of another form keeps its hyphens.
 *    - certificate serials (`certserial`): hex pairs with one separator character, as OpenSSL prints them.
 *    - MAC addresses (`vehicle`, design §3 Autocharge): 12 hex digits, with `:`, `-`, `.` or space between the
 *      digits; the result is exactly 12 hex digits, so distinct MACs can never meet.
 *    - VINs (`vehicle`): 17 characters of the ISO 3779 alphabet once whitespace is removed.
 * 4. Everything else: runs of inner whitespace become one space (a double space typed into a CRM is not
 *    another person); hyphens and other punctuation stay.
 * 5. Autocharge (design §3): an authorization uid `VID:<MAC>` (OCPP 1.6 idTag, OCPI Token.uid and
 *    cdr_token.uid) is the vehicle, kind `vehicle`, value the 12 hex digits, the same subject as the OCPP 2.0.1
 *    MacAddress idToken of that car.
 */
export interface NormalizedIdentifier {
  readonly kind: IdentifierKind;
  readonly value: string;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_LOWER = /[a-z]+/g;
/** 4 to 10 hex pairs, one separator character repeated between all of them (the back-reference). */
const SEPARATED_HEX_UID = /^[0-9A-F]{2}([ :.-])[0-9A-F]{2}(?:\1[0-9A-F]{2}){2,8}$/;
/** 2 or more hex pairs, one separator character between all of them. */
const SEPARATED_HEX = /^[0-9A-F]{2}([ :.-])[0-9A-F]{2}(?:\1[0-9A-F]{2})*$/;
const EMAID = /^[A-Z]{2}-?[0-9A-Z]{3}-?[0-9A-Z]{9}(?:-?[0-9A-Z])?$/;
const HYPHENS = /-/g;
const HEX_SEPARATORS = /[ :.-]/g;
const INNER_WHITESPACE = /\s+/g;
// Autocharge convention (pii-catalog §2.2, S11): idTag "VID:" + the EV's MAC address.
const AUTOCHARGE = /^VID\s*:\s*([0-9A-F]{2}(?:[:.-]?[0-9A-F]{2}){5})$/;
const MAC_12 = /^[0-9A-F]{12}$/;
/** ISO 3779: 17 characters, digits and capital letters without I, O and Q. */
const VIN = /^[0-9A-HJ-NPR-Z]{17}$/;

/** Rules 1 and 2: trim, NFC, ASCII upper case. */
function ciString(raw: string): string {
  const trimmed = raw.trim();
  // Most identifiers are ASCII: one native pass, and toUpperCase() is exactly a-z → A-Z on ASCII.
  if (ASCII.test(trimmed)) return trimmed.toUpperCase();
  // NFC first: upper-casing the "e" of a decomposed "é" would make it "É", which the composed "é" never becomes.
  return trimmed.normalize('NFC').replace(ASCII_LOWER, (letters) => letters.toUpperCase());
}

function hexUid(upper: string): string {
  return SEPARATED_HEX_UID.test(upper) ? upper.replace(HEX_SEPARATORS, '') : upper;
}

function macAddress(upper: string): string | undefined {
  const compact = upper.replace(HEX_SEPARATORS, '');
  return MAC_12.test(compact) ? compact : undefined;
}

function collapseWhitespace(upper: string): string {
  return upper.replace(INNER_WHITESPACE, ' ');
}

/** Normalizes a value of a known kind; undefined when nothing identifying is left (empty, whitespace). */
export function normalize(kind: IdentifierKind, raw: string): string | undefined {
  const upper = ciString(raw);
  if (upper.length === 0) return undefined;
  switch (kind) {
    case 'uid':
    case 'group':
    case 'extra':
      return hexUid(upper);
    case 'emaid':
      return EMAID.test(upper) ? upper.replace(HYPHENS, '') : collapseWhitespace(upper);
    case 'vehicle': {
      const mac = macAddress(upper);
      if (mac !== undefined) return mac;
      const compact = upper.replace(INNER_WHITESPACE, '');
      return VIN.test(compact) ? compact : collapseWhitespace(upper);
    }
    case 'certserial':
      return SEPARATED_HEX.test(upper) ? upper.replace(HEX_SEPARATORS, '') : collapseWhitespace(upper);
    default:
      return collapseWhitespace(upper);
  }
}

/**
 * An authorization uid: OCPP 1.6 idTag, OCPI Token.uid and cdr_token.uid (catalog kind `uid`). A card/app uid,
 * or with the Autocharge prefix `VID:<MAC>` the EV itself, which gets kind `vehicle` so the same car yields the
 * same token over OCPP 1.6, OCPP 2.0.1 (MacAddress idToken) and OCPI.
 */
export function normalizeIdTag(raw: string): NormalizedIdentifier | undefined {
  const upper = ciString(raw);
  if (upper.length === 0) return undefined;
  const autocharge = AUTOCHARGE.exec(upper);
  if (autocharge) return { kind: 'vehicle', value: autocharge[1]!.replace(HEX_SEPARATORS, '') };
  return { kind: 'uid', value: hexUid(upper) };
}

/**
 * OCPP 2.0.1 IdTokenType: the kind follows `type` (IdTokenEnumType). NoAuthorization carries no identifier.
 */
export function normalizeIdToken(raw: string, type: unknown): NormalizedIdentifier | undefined {
  switch (type) {
    case 'NoAuthorization':
      return undefined;
    case 'eMAID': {
      const value = normalize('emaid', raw);
      return value === undefined ? undefined : { kind: 'emaid', value };
    }
    case 'MacAddress': {
      const value = normalize('vehicle', raw);
      return value === undefined ? undefined : { kind: 'vehicle', value };
    }
    default: {
      const value = normalize('uid', raw);
      return value === undefined ? undefined : { kind: 'uid', value };
    }
  }
}
