import { IDENTIFIER_KINDS } from '@ampseal/core';
import type { Fleet, Station } from './population';
import { isoMillis } from './time';

/**
 * What the generator hands out: one Kafka record of a raw topic, with what a test needs to know about it.
 * `value` is the input envelope of design §2 (a contract), serialized once: the generator never stringifies
 * anything but the envelope itself.
 */

export const OCPP_TOPIC = 'ocpp.raw.v1';
export const OCPI_TOPIC = 'ocpi.raw.v1';
export type TrafficTopic = typeof OCPP_TOPIC | typeof OCPI_TOPIC;

/** The identifier kinds of design §3: core's one list (the generator writes identifiers of every kind). */
export const SUBJECT_KINDS = IDENTIFIER_KINDS;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** One identifier a record carries, as written in the record (not normalized). */
export interface TrafficSubject {
  readonly kind: SubjectKind;
  readonly raw: string;
}

/** The quarantine reason codes of input errors (services/core/src/errors.ts, INPUT_REASONS). */
export const MALFORMED_REASONS = [
  'bad_json',
  'too_large',
  'bad_envelope',
  'unknown_source',
  'bad_frame',
  'missing_action',
  'action_mismatch',
  'unknown_action',
  'unknown_module',
  'schema_violation',
  'bad_unicode',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export interface TrafficRecord {
  readonly topic: TrafficTopic;
  /** stationId for OCPP, the object id for OCPI (design §2). */
  readonly key: string;
  /** The envelope JSON (one NDJSON line: no newline inside). */
  readonly value: string;
  readonly kind: 'valid' | 'malformed';
  /**
   * What the record is, in the catalog's key notation: `ocpp1.6:Authorize:req`, `ocpp2.0.1:TransactionEvent:conf`,
   * `ocpi2.2.1:cdrs`; `malformed:<reason>` for malformed records.
   */
  readonly message: string;
  /** Malformed records only: the reason code the input parser must quarantine it with. */
  readonly expectedReason?: MalformedReason;
  /**
   * Valid records only: the direct identifiers the record carries in fields the catalog tokenizes (kind as the
   * catalog classifies them, raw as written). Identifiers inside opaque blobs (OCMF signed data, DataTransfer
   * data) are deliberately not listed: they are dropped, never tokenized.
   */
  readonly subjects?: readonly TrafficSubject[];
}

export const NO_SUBJECTS: readonly TrafficSubject[] = Object.freeze([]);

/*
 * Envelopes are assembled from pieces instead of one JSON.stringify of the whole object: the header fields are
 * drawn from alphabets that need no JSON escaping (tenant `^[a-z0-9-]+$`, station ids `CP-0000`, RFC 3339
 * timestamps, OCPP action names, message ids of hex digits and hyphens, OCPI module names), so only the payload
 * is stringified (Node 20: JSON.stringify of a whole MeterValues envelope costs ~1.4 µs, the largest single cost
 * per record; templating the header, the two most frequent payloads and the timestamps took the generator from
 * ~110k to ~300k records/s). The key order is the one of design §2.
 */

/** `,"fleet":{…}` or '' : computed once per card, appended to each of its envelopes. */
export function fleetJson(fleet: Fleet | undefined): string {
  return fleet === undefined ? '' : `,"fleet":${JSON.stringify({ vehicleId: fleet.vehicleId, driverId: fleet.driverId })}`;
}

/** OCPP-J MessageTypeId of a CALL `[2, id, action, payload]` and a CALLRESULT `[3, id, payload]`. */
export const CALL = 2;
export const CALLRESULT = 3;

/**
 * An OCPP-J CALL or CALLRESULT as received from (or sent to) `station`. `payload` is JSON text. The envelope
 * names the action of a CALLRESULT too (design §2: required), though its frame does not.
 */
export function ocppRecord(
  messageType: typeof CALL | typeof CALLRESULT,
  tenant: string,
  station: Station,
  at: number,
  messageId: string,
  action: string,
  payload: string,
  subjects: readonly TrafficSubject[],
  fleet = '',
): TrafficRecord {
  const frame = messageType === CALL ? `[2,"${messageId}","${action}",${payload}]` : `[3,"${messageId}",${payload}]`;
  const value = `{"tenant":"${tenant}","source":"${station.protocol}","stationId":"${station.id}","receivedAt":"${isoMillis(at)}","action":"${action}","frame":${frame}${fleet}}`;
  const message = `${station.protocol}:${action}:${messageType === CALL ? 'req' : 'conf'}`;
  return { topic: OCPP_TOPIC, key: station.id, value, kind: 'valid', message, subjects };
}

export type OcpiModule = 'sessions' | 'cdrs' | 'tokens';

/** An OCPI 2.2.1 object (JSON text) as the CPO platform publishes it; keyed by the object id. */
export function ocpiObject(
  tenant: string,
  module: OcpiModule,
  key: string,
  at: number,
  object: string,
  subjects: readonly TrafficSubject[],
  fleet = '',
): TrafficRecord {
  const value = `{"tenant":"${tenant}","source":"ocpi2.2.1","module":"${module}","receivedAt":"${isoMillis(at)}","object":${object}${fleet}}`;
  return { topic: OCPI_TOPIC, key, value, kind: 'valid', message: `ocpi2.2.1:${module}`, subjects };
}

/** The envelope's fleet ids as subjects (kinds `vehicle` and `driver`). */
export function fleetSubjects(fleet: Fleet | undefined): readonly TrafficSubject[] {
  if (fleet === undefined) return NO_SUBJECTS;
  return Object.freeze([
    { kind: 'vehicle', raw: fleet.vehicleId },
    { kind: 'driver', raw: fleet.driverId },
  ] as const);
}
