import { AmpsealError, type ErrorName } from './errors';
import type { Direction, OcpiModule } from './catalog/types';
import { isRecord, isTenant, parseDateTime } from './rules';

/**
 * The input envelope (design §2, a contract): one JSON object per Kafka record / NDJSON line. This module checks
 * its shape and the OCPP-J frame; the payload/object schemas are checked by validation/ (see input.ts).
 * Every error names the JSON pointer of the failing value in the record and the rule that failed (JSON Schema
 * keywords where one fits: `required`, `type`, `pattern`, `enum`, `minLength`, `maxLength`, `format`), never the
 * value itself.
 */

/** Attached by fleet platforms. Both ids are direct identifiers (kinds `vehicle` and `driver`). */
export interface Fleet {
  vehicleId?: string;
  driverId?: string;
}

export type OcppMessageType = 'CALL' | 'CALLRESULT' | 'CALLERROR';

export interface OcppEnvelope {
  tenant: string;
  source: 'ocpp1.6' | 'ocpp2.0.1';
  stationId: string;
  receivedAt: string;
  /** `receivedAt` as epoch milliseconds. */
  receivedAtMs: number;
  /**
   * The OCPP action: from the CALL frame, or from the envelope for CALLRESULT (required) and CALLERROR
   * (optional there: '' when the envelope names none).
   */
  action: string;
  messageType: OcppMessageType;
  messageId: string;
  /** CALL → req, CALLRESULT → conf; none for CALLERROR. */
  direction?: Direction;
  /** The CALL or CALLRESULT payload; none for CALLERROR. */
  payload?: Record<string, unknown>;
  /**
   * CALLERROR only: the OCPP-J error code (e.g. `FormationViolation`). The error description and details are
   * free text and are not carried.
   */
  errorCode?: string;
  fleet?: Fleet;
}

/**
 * Envelope field `method` (optional, extends design §2 compatibly): how the CPO delivered `object`.
 * `PUT` (the default) and `POST` carry a complete object (OCPI 2.2.1 pushes Sessions and Tokens with PUT, CDRs with
 * POST); `PATCH` carries the changed fields of a Session or a Token only (mod_sessions / mod_tokens receiver
 * interface PATCH; CDRs are never patched, mod_cdrs). A PATCH body must still hold `last_updated`.
 */
export type OcpiMethod = 'PUT' | 'POST' | 'PATCH';

export interface OcpiEnvelope {
  tenant: string;
  source: 'ocpi2.2.1';
  module: OcpiModule;
  object: Record<string, unknown>;
  /**
   * True when `object` is a PATCH body (envelope `method: "PATCH"`): a partial Session or Token, validated as
   * such; absent fields are unknown, not removed. Always false for CDRs.
   */
  patch: boolean;
  receivedAt?: string;
  receivedAtMs?: number;
  fleet?: Fleet;
}

export type Envelope = OcppEnvelope | OcpiEnvelope;

/**
 * An OCPI 2.2.1 Location is not an event: no audience gets it. ampseal reads it for one thing, whether it is
 * published (mod_locations Location.publish). An unpublished Location is a private site (a home, a company car park):
 * its id, its EVSE uids and its EVSE ids are learned as private sites (analytics.ts), so every Session and CDR there
 * names no place. Only those fields are checked; the rest of the object is neither read nor passed on.
 */
export interface LocationNotice {
  readonly tenant: string;
  /** The Location's id and its EVSEs' uid and evse_id when it is not published; empty when it is. */
  readonly privateSites: readonly string[];
}

/** OCPP-J: the charge point identity is at most 48 characters. */
const STATION_ID_MAX = 48;
/** OCPP-J: a message id is at most 36 characters. */
const MESSAGE_ID_MAX = 36;
/** OCPP-J CALLERROR error codes are short identifiers (`OccurenceConstraintViolation` is the longest). */
const ERROR_CODE_MAX = 64;

const FRAME_CALL = 2;
const FRAME_CALLRESULT = 3;
const FRAME_CALLERROR = 4;

/**
 * Checks a parsed JSON value against the envelope contract and reads the OCPP-J frame. Returns the envelope,
 * or the input error (never throws). Error messages come from the error table and never quote the input.
 * The payload/object is the parsed value itself (no copy); `fleet` is rebuilt with its two known fields only.
 */
export function parseEnvelope(value: unknown): Envelope | LocationNotice | AmpsealError {
  if (!isRecord(value)) return failure('BAD_ENVELOPE', 'not an object', '', 'type');
  const tenant = value.tenant;
  if (!isTenant(tenant)) {
    return failure('BAD_ENVELOPE', 'tenant', '/tenant', stringRule(tenant, 'pattern'));
  }
  const source = value.source;
  if (typeof source !== 'string') return failure('BAD_ENVELOPE', 'source', '/source', stringRule(source));

  let fleet: Fleet | undefined;
  if (value.fleet !== undefined) {
    const parsed = parseFleet(value.fleet);
    if (parsed instanceof AmpsealError) return parsed;
    fleet = parsed;
  }

  if (source === 'ocpp1.6' || source === 'ocpp2.0.1') return parseOcpp(value, tenant, source, fleet);
  if (source === 'ocpi2.2.1') return parseOcpi(value, tenant, fleet);
  return failure('UNKNOWN_SOURCE', undefined, '/source', 'enum');
}

function parseOcpp(
  value: Record<string, unknown>,
  tenant: string,
  source: 'ocpp1.6' | 'ocpp2.0.1',
  fleet: Fleet | undefined,
): OcppEnvelope | AmpsealError {
  const stationId = value.stationId;
  if (typeof stationId !== 'string' || stationId.length === 0 || stationId.length > STATION_ID_MAX) {
    return failure('BAD_ENVELOPE', 'stationId', '/stationId', lengthRule(stationId, STATION_ID_MAX));
  }
  const receivedAt = value.receivedAt;
  const receivedAtMs = typeof receivedAt === 'string' ? parseDateTime(receivedAt) : undefined;
  if (receivedAtMs === undefined) return failure('BAD_ENVELOPE', 'receivedAt', '/receivedAt', stringRule(receivedAt, 'format'));
  const envelopeAction = value.action;
  if (envelopeAction !== undefined && typeof envelopeAction !== 'string') {
    return failure('BAD_ENVELOPE', 'action', '/action', 'type');
  }

  const frame = value.frame;
  if (!Array.isArray(frame)) return failure('BAD_FRAME', 'not an array', '/frame', frame === undefined ? 'required' : 'type');
  const messageId = frame[1];
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MESSAGE_ID_MAX) {
    return failure('BAD_FRAME', 'message id', '/frame/1', lengthRule(messageId, MESSAGE_ID_MAX));
  }

  const envelope: OcppEnvelope = {
    tenant,
    source,
    stationId,
    receivedAt: receivedAt as string,
    receivedAtMs,
    action: '',
    messageType: 'CALL',
    messageId,
  };

  switch (frame[0]) {
    case FRAME_CALL: {
      // [2, messageId, action, payload]
      const action = frame[2];
      const payload = frame[3];
      if (frame.length !== 4) return failure('BAD_FRAME', 'CALL', '/frame', 'items');
      if (typeof action !== 'string' || action.length === 0) {
        return failure('BAD_FRAME', 'CALL', '/frame/2', lengthRule(action, Infinity));
      }
      if (!isRecord(payload)) return failure('BAD_FRAME', 'CALL', '/frame/3', 'type');
      if (envelopeAction !== undefined && envelopeAction !== action) {
        return failure('ACTION_MISMATCH', undefined, '/action', 'const');
      }
      envelope.action = action;
      envelope.direction = 'req';
      envelope.payload = payload;
      break;
    }
    case FRAME_CALLRESULT: {
      // [3, messageId, payload]: the frame does not name the action, so the envelope must.
      const payload = frame[2];
      if (frame.length !== 3) return failure('BAD_FRAME', 'CALLRESULT', '/frame', 'items');
      if (!isRecord(payload)) return failure('BAD_FRAME', 'CALLRESULT', '/frame/2', 'type');
      if (envelopeAction === undefined || envelopeAction.length === 0) {
        return failure('MISSING_ACTION', undefined, '/action', envelopeAction === undefined ? 'required' : 'minLength');
      }
      envelope.action = envelopeAction;
      envelope.messageType = 'CALLRESULT';
      envelope.direction = 'conf';
      envelope.payload = payload;
      break;
    }
    case FRAME_CALLERROR: {
      // [4, messageId, errorCode, errorDescription, errorDetails]
      const errorCode = frame[2];
      if (frame.length !== 5) return failure('BAD_FRAME', 'CALLERROR', '/frame', 'items');
      if (typeof errorCode !== 'string' || errorCode.length === 0 || errorCode.length > ERROR_CODE_MAX) {
        return failure('BAD_FRAME', 'CALLERROR', '/frame/2', lengthRule(errorCode, ERROR_CODE_MAX));
      }
      if (typeof frame[3] !== 'string') return failure('BAD_FRAME', 'CALLERROR', '/frame/3', 'type');
      if (!isRecord(frame[4])) return failure('BAD_FRAME', 'CALLERROR', '/frame/4', 'type');
      envelope.action = envelopeAction ?? '';
      envelope.messageType = 'CALLERROR';
      envelope.errorCode = errorCode;
      break;
    }
    default:
      return failure('BAD_FRAME', 'message type', '/frame/0', 'enum');
  }
  if (fleet !== undefined) envelope.fleet = fleet;
  return envelope;
}

function parseOcpi(value: Record<string, unknown>, tenant: string, fleet: Fleet | undefined): OcpiEnvelope | LocationNotice | AmpsealError {
  const module = value.module;
  if (module === 'locations') return parseLocation(value, tenant);
  if (module !== 'sessions' && module !== 'cdrs' && module !== 'tokens') {
    return failure('UNKNOWN_MODULE', undefined, '/module', module === undefined ? 'required' : 'enum');
  }
  const object = value.object;
  if (!isRecord(object)) return failure('BAD_ENVELOPE', 'object', '/object', object === undefined ? 'required' : 'type');
  const method = value.method;
  let patch = false;
  if (method === 'PATCH') {
    // mod_cdrs: a CDR is never updated, so no PATCH body can be checked against anything but a complete CDR.
    if (module === 'cdrs') return failure('BAD_ENVELOPE', 'method', '/method', 'enum');
    patch = true;
  } else if (method !== undefined && method !== 'PUT' && method !== 'POST') {
    return failure('BAD_ENVELOPE', 'method', '/method', typeof method === 'string' ? 'enum' : 'type');
  }
  const envelope: OcpiEnvelope = { tenant, source: 'ocpi2.2.1', module, object, patch };
  const receivedAt = value.receivedAt;
  if (receivedAt !== undefined) {
    const receivedAtMs = typeof receivedAt === 'string' ? parseDateTime(receivedAt) : undefined;
    if (receivedAtMs === undefined) return failure('BAD_ENVELOPE', 'receivedAt', '/receivedAt', stringRule(receivedAt, 'format'));
    envelope.receivedAt = receivedAt as string;
    envelope.receivedAtMs = receivedAtMs;
  }
  if (fleet !== undefined) envelope.fleet = fleet;
  return envelope;
}

/** OCPI 2.2.1 mod_locations: Location.id CiString(36), EVSE.uid CiString(36), EVSE.evse_id CiString(48). */
const LOCATION_ID_MAX = 36;
const EVSE_ID_MAX = 48;

function parseLocation(value: Record<string, unknown>, tenant: string): LocationNotice | AmpsealError {
  const object = value.object;
  if (!isRecord(object)) return failure('BAD_ENVELOPE', 'object', '/object', object === undefined ? 'required' : 'type');
  const method = value.method;
  if (method !== undefined && method !== 'PUT' && method !== 'POST' && method !== 'PATCH') {
    return failure('BAD_ENVELOPE', 'method', '/method', typeof method === 'string' ? 'enum' : 'type');
  }
  const patch = method === 'PATCH';
  const publish = object.publish;
  if (publish === undefined ? !patch : typeof publish !== 'boolean') {
    return failure('SCHEMA_VIOLATION', '/object/publish', '/object/publish', publish === undefined ? 'required' : 'type');
  }
  const id = object.id;
  // A PATCH body need not repeat the id (it is in the OCPI URL); a full Location must have one.
  if (id === undefined ? !patch : !isId(id, LOCATION_ID_MAX)) {
    return failure('SCHEMA_VIOLATION', '/object/id', '/object/id', id === undefined ? 'required' : stringRule(id, 'maxLength'));
  }
  const privateSites: string[] = [];
  if (publish === false && typeof id === 'string') privateSites.push(id);
  const evses = object.evses;
  if (evses !== undefined) {
    if (!Array.isArray(evses)) return failure('SCHEMA_VIOLATION', '/object/evses', '/object/evses', 'type');
    for (let i = 0; i < evses.length; i++) {
      const evse: unknown = evses[i];
      const at = `/object/evses/${i}`;
      if (!isRecord(evse)) return failure('SCHEMA_VIOLATION', at, at, 'type');
      if (!isId(evse.uid, LOCATION_ID_MAX)) return failure('SCHEMA_VIOLATION', `${at}/uid`, `${at}/uid`, stringRule(evse.uid, 'maxLength'));
      if (evse.evse_id !== undefined && !isId(evse.evse_id, EVSE_ID_MAX)) {
        return failure('SCHEMA_VIOLATION', `${at}/evse_id`, `${at}/evse_id`, stringRule(evse.evse_id, 'maxLength'));
      }
      if (publish === false) {
        privateSites.push(evse.uid as string);
        if (typeof evse.evse_id === 'string') privateSites.push(evse.evse_id);
      }
    }
  }
  return { tenant, privateSites };
}

function isId(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** Optional string ids; an empty one is refused, since it would become a subject of its own. */
function parseFleet(value: unknown): Fleet | AmpsealError {
  if (!isRecord(value)) return failure('BAD_ENVELOPE', 'fleet', '/fleet', 'type');
  const { vehicleId, driverId } = value;
  const fleet: Fleet = {};
  if (vehicleId !== undefined) {
    if (typeof vehicleId !== 'string' || vehicleId.length === 0) {
      return failure('BAD_ENVELOPE', 'fleet', '/fleet/vehicleId', lengthRule(vehicleId, Infinity));
    }
    fleet.vehicleId = vehicleId;
  }
  if (driverId !== undefined) {
    if (typeof driverId !== 'string' || driverId.length === 0) {
      return failure('BAD_ENVELOPE', 'fleet', '/fleet/driverId', lengthRule(driverId, Infinity));
    }
    fleet.driverId = driverId;
  }
  return fleet;
}

/** An envelope error with the pointer of the failing value in the record and the rule, never the value. */
function failure(name: ErrorName, detail: string | undefined, pointer: string, keyword: string): AmpsealError {
  return new AmpsealError(name, detail, { pointer, keyword });
}

/** Which rule a value that had to be a string broke: absent, not a string, or `otherwise`. */
function stringRule(value: unknown, otherwise = 'type'): string {
  if (value === undefined) return 'required';
  return typeof value === 'string' ? otherwise : 'type';
}

/** Which rule a value that had to be a string of 1 to `max` characters broke. */
function lengthRule(value: unknown, max: number): string {
  if (typeof value !== 'string') return stringRule(value);
  return value.length === 0 ? 'minLength' : value.length > max ? 'maxLength' : 'type';
}

