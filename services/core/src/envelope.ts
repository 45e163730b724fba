import { AmpsealError } from './errors';
import type { Direction, OcpiModule } from './catalog/types';

/**
 * The input envelope (design §2, a contract): one JSON object per Kafka record / NDJSON line. This module checks
 * its shape and the OCPP-J frame; the payload/object schemas are checked by validation/ (see input.ts).
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

export interface OcpiEnvelope {
  tenant: string;
  source: 'ocpi2.2.1';
  module: OcpiModule;
  object: Record<string, unknown>;
  receivedAt?: string;
  receivedAtMs?: number;
  fleet?: Fleet;
}

export type Envelope = OcppEnvelope | OcpiEnvelope;

/** It becomes part of a KMS alias (`alias/ampseal/<tenant>`), hence the narrow alphabet. */
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The tenant-name rule of the envelope contract, for every other reader of tenant names (policy, config). */
export function isTenant(value: string): boolean {
  return TENANT.test(value);
}
/** OCPP-J: the charge point identity is at most 48 characters. */
const STATION_ID_MAX = 48;
/** OCPP-J: a message id is at most 36 characters. */
const MESSAGE_ID_MAX = 36;
/** OCPP-J CALLERROR error codes are short identifiers (`OccurenceConstraintViolation` is the longest). */
const ERROR_CODE_MAX = 64;
/**
 * RFC 3339 date-time with a mandatory offset (a local time would be ambiguous); ranges checked here, day of month
 * below, because Date.parse rolls 2026-02-30 over to March and accepts 24:00.
 */
const DATE_TIME =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

const FRAME_CALL = 2;
const FRAME_CALLRESULT = 3;
const FRAME_CALLERROR = 4;

/**
 * Checks a parsed JSON value against the envelope contract and reads the OCPP-J frame. Returns the envelope,
 * or the input error (never throws). Error messages come from the error table and never quote the input.
 * The payload/object is the parsed value itself (no copy); `fleet` is rebuilt with its two known fields only.
 */
export function parseEnvelope(value: unknown): Envelope | AmpsealError {
  if (!isRecord(value)) return new AmpsealError('BAD_ENVELOPE', 'not an object');
  const tenant = value.tenant;
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) return new AmpsealError('BAD_ENVELOPE', 'tenant');
  const source = value.source;
  if (typeof source !== 'string') return new AmpsealError('BAD_ENVELOPE', 'source');

  let fleet: Fleet | undefined;
  if (value.fleet !== undefined) {
    const parsed = parseFleet(value.fleet);
    if (parsed === undefined) return new AmpsealError('BAD_ENVELOPE', 'fleet');
    fleet = parsed;
  }

  if (source === 'ocpp1.6' || source === 'ocpp2.0.1') return parseOcpp(value, tenant, source, fleet);
  if (source === 'ocpi2.2.1') return parseOcpi(value, tenant, fleet);
  return new AmpsealError('UNKNOWN_SOURCE');
}

function parseOcpp(
  value: Record<string, unknown>,
  tenant: string,
  source: 'ocpp1.6' | 'ocpp2.0.1',
  fleet: Fleet | undefined,
): OcppEnvelope | AmpsealError {
  const stationId = value.stationId;
  if (typeof stationId !== 'string' || stationId.length === 0 || stationId.length > STATION_ID_MAX) {
    return new AmpsealError('BAD_ENVELOPE', 'stationId');
  }
  const receivedAt = value.receivedAt;
  const receivedAtMs = typeof receivedAt === 'string' ? parseDateTime(receivedAt) : undefined;
  if (receivedAtMs === undefined) return new AmpsealError('BAD_ENVELOPE', 'receivedAt');
  const envelopeAction = value.action;
  if (envelopeAction !== undefined && typeof envelopeAction !== 'string') {
    return new AmpsealError('BAD_ENVELOPE', 'action');
  }

  const frame = value.frame;
  if (!Array.isArray(frame)) return new AmpsealError('BAD_FRAME', 'not an array');
  const messageId = frame[1];
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MESSAGE_ID_MAX) {
    return new AmpsealError('BAD_FRAME', 'message id');
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
      if (frame.length !== 4 || typeof action !== 'string' || action.length === 0 || !isRecord(payload)) {
        return new AmpsealError('BAD_FRAME', 'CALL');
      }
      if (envelopeAction !== undefined && envelopeAction !== action) return new AmpsealError('ACTION_MISMATCH');
      envelope.action = action;
      envelope.direction = 'req';
      envelope.payload = payload;
      break;
    }
    case FRAME_CALLRESULT: {
      // [3, messageId, payload]: the frame does not name the action, so the envelope must.
      const payload = frame[2];
      if (frame.length !== 3 || !isRecord(payload)) return new AmpsealError('BAD_FRAME', 'CALLRESULT');
      if (envelopeAction === undefined || envelopeAction.length === 0) return new AmpsealError('MISSING_ACTION');
      envelope.action = envelopeAction;
      envelope.messageType = 'CALLRESULT';
      envelope.direction = 'conf';
      envelope.payload = payload;
      break;
    }
    case FRAME_CALLERROR: {
      // [4, messageId, errorCode, errorDescription, errorDetails]
      const errorCode = frame[2];
      if (
        frame.length !== 5 ||
        typeof errorCode !== 'string' ||
        errorCode.length === 0 ||
        errorCode.length > ERROR_CODE_MAX ||
        typeof frame[3] !== 'string' ||
        !isRecord(frame[4])
      ) {
        return new AmpsealError('BAD_FRAME', 'CALLERROR');
      }
      envelope.action = envelopeAction ?? '';
      envelope.messageType = 'CALLERROR';
      envelope.errorCode = errorCode;
      break;
    }
    default:
      return new AmpsealError('BAD_FRAME', 'message type');
  }
  if (fleet !== undefined) envelope.fleet = fleet;
  return envelope;
}

function parseOcpi(value: Record<string, unknown>, tenant: string, fleet: Fleet | undefined): OcpiEnvelope | AmpsealError {
  const module = value.module;
  if (module !== 'sessions' && module !== 'cdrs' && module !== 'tokens') return new AmpsealError('UNKNOWN_MODULE');
  const object = value.object;
  if (!isRecord(object)) return new AmpsealError('BAD_ENVELOPE', 'object');
  const envelope: OcpiEnvelope = { tenant, source: 'ocpi2.2.1', module, object };
  const receivedAt = value.receivedAt;
  if (receivedAt !== undefined) {
    const receivedAtMs = typeof receivedAt === 'string' ? parseDateTime(receivedAt) : undefined;
    if (receivedAtMs === undefined) return new AmpsealError('BAD_ENVELOPE', 'receivedAt');
    envelope.receivedAt = receivedAt as string;
    envelope.receivedAtMs = receivedAtMs;
  }
  if (fleet !== undefined) envelope.fleet = fleet;
  return envelope;
}

/** Optional string ids; an empty one is refused, since it would become a subject of its own. */
function parseFleet(value: unknown): Fleet | undefined {
  if (!isRecord(value)) return undefined;
  const { vehicleId, driverId } = value;
  const fleet: Fleet = {};
  if (vehicleId !== undefined) {
    if (typeof vehicleId !== 'string' || vehicleId.length === 0) return undefined;
    fleet.vehicleId = vehicleId;
  }
  if (driverId !== undefined) {
    if (typeof driverId !== 'string' || driverId.length === 0) return undefined;
    fleet.driverId = driverId;
  }
  return fleet;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of an RFC 3339 date-time with offset, or undefined when it is not one. */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > maxDay) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
