import type { IdentifierKind } from './identifiers';

/**
 * Normalization before any keyed operation (design §3), so one card yields one token however a charger
 * or a roaming partner writes it. Pure, allocation-light, regexes compiled once.
 */
export interface NormalizedIdentifier {
  readonly kind: IdentifierKind;
  readonly value: string;
}

// Hex bytes written with separators, as readers print UIDs: "04 a2 b3", "04:A2:B3", "04-a2-b3".
const SEPARATED_HEX = /^[0-9A-F]{2}(?:[ :.-][0-9A-F]{2})+$/;
const HEX_SEPARATORS = /[ :.-]/g;
const INNER_WHITESPACE = /\s+/g;
// Autocharge convention (pii-catalog §2.2, S11): idTag "VID:" + the EV's MAC address.
const AUTOCHARGE_IDTAG = /^VID\s*:\s*([0-9A-F]{2}(?:[:.-]?[0-9A-F]{2}){5})$/;
const MAC_12 = /^[0-9A-F]{12}$/;

/** Trim, NFC, upper-case: OCPP IdToken and OCPI CiString are case-insensitive (OCPP 1.6 §7.28, OCPI types). */
function ciString(raw: string): string {
  const trimmed = raw.trim();
  // Most identifiers are already ASCII: skip the NFC pass for them.
  // eslint-disable-next-line no-control-regex
  const text = /^[\x00-\x7f]*$/.test(trimmed) ? trimmed : trimmed.normalize('NFC');
  return text.toUpperCase();
}

function compactHex(upper: string): string {
  return SEPARATED_HEX.test(upper) ? upper.replace(HEX_SEPARATORS, '') : upper;
}

function macAddress(upper: string): string | undefined {
  const compact = upper.replace(HEX_SEPARATORS, '');
  return MAC_12.test(compact) ? compact : undefined;
}

/** Normalizes a value of a known kind; undefined when nothing identifying is left (empty, whitespace). */
export function normalize(kind: IdentifierKind, raw: string): string | undefined {
  const upper = ciString(raw);
  if (upper.length === 0) return undefined;
  switch (kind) {
    case 'uid':
    case 'group':
    case 'extra':
      return compactHex(upper);
    case 'emaid':
      // eMAIDs are printed with and without hyphens (DE-8AA-123A45B67-8 vs DE8AA123A45B678): ISO 15118-2 Annex H.
      return upper.replace(/-/g, '').replace(INNER_WHITESPACE, '');
    case 'vehicle':
      return macAddress(upper) ?? upper.replace(INNER_WHITESPACE, '');
    case 'certserial':
      return upper.replace(HEX_SEPARATORS, '');
    default:
      return upper.replace(INNER_WHITESPACE, ' ');
  }
}

/**
 * OCPP 1.6 idTag: a card/app uid, or with the Autocharge prefix `VID:<MAC>` the EV itself, which gets kind
 * `vehicle` so the same car yields the same token as its OCPP 2.0.1 MacAddress idToken.
 */
export function normalizeIdTag(raw: string): NormalizedIdentifier | undefined {
  const upper = ciString(raw);
  if (upper.length === 0) return undefined;
  const autocharge = AUTOCHARGE_IDTAG.exec(upper);
  if (autocharge) return { kind: 'vehicle', value: autocharge[1]!.replace(HEX_SEPARATORS, '') };
  return { kind: 'uid', value: compactHex(upper) };
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
