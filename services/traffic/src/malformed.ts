import type { Population } from './population';
import { type Random, weighted } from './random';
import { type MalformedReason, OCPI_TOPIC, OCPP_TOPIC, type TrafficRecord, type TrafficTopic } from './record';
import { isoMillis, isoSeconds } from './time';

/**
 * Records the pseudonymizer must quarantine (design §7), each with the reason code the input parser gives it
 * (services/core/src/errors.ts). Each one breaks exactly one rule of the envelope contract or the schemas and is
 * otherwise a plausible record, so the expected reason is unambiguous whatever order the checks run in.
 * Drawn from their own random stream: the valid records around them do not depend on the malformed rate.
 */

/** The default input limit of @ampseal/core (DEFAULT_MAX_BYTES); oversized records exceed it by a little. */
const MAX_BYTES = 256 * 1024;
let padding: string | undefined;

type Variant = (ctx: MalformedContext) => Built;

interface Built {
  readonly reason: MalformedReason;
  readonly value: string;
  readonly topic?: TrafficTopic;
  readonly key?: string;
}

interface MalformedContext {
  readonly rng: Random;
  readonly tenant: string;
  readonly population: Population;
  readonly at: number;
  readonly stationId: string;
  readonly source: 'ocpp1.6' | 'ocpp2.0.1';
  readonly idTag: string;
  readonly messageId: string;
}

function envelope(ctx: MalformedContext, action: string, frame: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenant: ctx.tenant,
    source: ctx.source,
    stationId: ctx.stationId,
    receivedAt: isoMillis(ctx.at),
    action,
    frame,
    ...extra,
  };
}

function authorize(ctx: MalformedContext): Record<string, unknown> {
  const payload = ctx.source === 'ocpp1.6' ? { idTag: ctx.idTag } : { idToken: { idToken: ctx.idTag, type: 'ISO14443' } };
  return envelope(ctx, 'Authorize', [2, ctx.messageId, 'Authorize', payload]);
}

const VARIANTS = weighted<Variant>([
  // A producer cut the record short, or appended to it.
  [
    (ctx) => {
      const text = JSON.stringify(authorize(ctx));
      const value = ctx.rng.chance(0.7) ? text.slice(0, ctx.rng.int(1, text.length - 1)) : `${text}}`;
      return { reason: 'bad_json', value };
    },
    20,
  ],
  [
    (ctx) => {
      padding ??= 'A'.repeat(MAX_BYTES);
      const frame = [2, ctx.messageId, 'DataTransfer', { vendorId: 'com.vendor.dump', messageId: 'CoreDump', data: padding }];
      return { reason: 'too_large', value: JSON.stringify(envelope(ctx, 'DataTransfer', frame)) };
    },
    2,
  ],
  [
    (ctx) => {
      const record = authorize(ctx);
      const which = ctx.rng.int(0, 3);
      if (which === 0) record.tenant = 'ACME CPO';
      else if (which === 1) record.receivedAt = isoSeconds(ctx.at).replace('T', ' ').replace('Z', '');
      else if (which === 2) record.stationId = '';
      else record.fleet = { vehicleId: 42 };
      return { reason: 'bad_envelope', value: JSON.stringify(record) };
    },
    8,
  ],
  [
    (ctx) => {
      const source = ctx.rng.pick(['ocpp2.1', 'ocpp1.5', 'OCPP1.6', 'ocpp16']);
      return { reason: 'unknown_source', value: JSON.stringify({ ...authorize(ctx), source }) };
    },
    10,
  ],
  [
    (ctx) => {
      const which = ctx.rng.int(0, 3);
      const record = authorize(ctx);
      if (which === 0) record.frame = { messageTypeId: 2, action: 'Authorize' };
      else if (which === 1) record.frame = [2, ctx.messageId, 'Authorize'];
      else if (which === 2) record.frame = [5, ctx.messageId, 'Authorize', { idTag: ctx.idTag }];
      else record.frame = [2, `${ctx.messageId}-${ctx.messageId}-retry`, 'Authorize', { idTag: ctx.idTag }];
      return { reason: 'bad_frame', value: JSON.stringify(record) };
    },
    6,
  ],
  [
    (ctx) => {
      const record = envelope(ctx, 'Authorize', [3, ctx.messageId, { idTagInfo: { status: 'Accepted' } }]);
      delete record.action;
      return { reason: 'missing_action', value: JSON.stringify(record) };
    },
    4,
  ],
  [
    (ctx) => {
      const record = envelope(ctx, 'Heartbeat', [2, ctx.messageId, 'Authorize', { idTag: ctx.idTag }]);
      return { reason: 'action_mismatch', value: JSON.stringify(record) };
    },
    4,
  ],
  [
    (ctx) => {
      // A 2.0.1 message on a 1.6 connection, a 1.6 message on a 2.0.1 one, or a private vendor action.
      const action =
        ctx.source === 'ocpp1.6' ? ctx.rng.pick(['TransactionEvent', 'GetVehicleInfo']) : ctx.rng.pick(['StartTransaction', 'GetVehicleInfo']);
      const record = envelope(ctx, action, [2, ctx.messageId, action, { connectorId: 1 }]);
      return { reason: 'unknown_action', value: JSON.stringify(record) };
    },
    12,
  ],
  [
    (ctx) => {
      const id = `LOC${ctx.stationId.slice(3)}`;
      // Not `locations`: ampseal reads OCPI Locations (to learn unpublished, private ones).
      const module = ctx.rng.pick(['tariffs', 'commands', 'hubclientinfo']);
      const object = { country_code: ctx.population.cpo.countryCode, party_id: ctx.population.cpo.partyId, id, last_updated: isoSeconds(ctx.at) };
      const value = JSON.stringify({ tenant: ctx.tenant, source: 'ocpi2.2.1', module, receivedAt: isoMillis(ctx.at), object });
      return { reason: 'unknown_module', value, topic: OCPI_TOPIC, key: id };
    },
    4,
  ],
  [(ctx) => ({ reason: 'schema_violation', ...schemaViolation(ctx) }), 30],
  [
    (ctx) => {
      // A lone UTF-16 surrogate, as a JSON escape: JSON.stringify writes it as \udXXX. Normalizing it would give
      // U+FFFD and merge it with every other broken spelling.
      const record = authorize(ctx);
      const frame = record.frame as [number, string, string, Record<string, unknown>];
      const lone = String.fromCharCode(0xd800 + ctx.rng.int(0, 0x7ff));
      const broken = `${ctx.idTag.slice(0, 12)}${lone}`;
      frame[3] = ctx.source === 'ocpp1.6' ? { idTag: broken } : { idToken: { idToken: broken, type: 'ISO14443' } };
      return { reason: 'bad_unicode', value: JSON.stringify(record) };
    },
    3,
  ],
]);

/** One schema rule broken in an otherwise well-formed envelope. */
function schemaViolation(ctx: MalformedContext): Omit<Built, 'reason'> {
  const rng = ctx.rng;
  const at = ctx.at;
  switch (rng.int(0, 6)) {
    case 0: {
      // OCPP 1.6 CiString20Type: an idTag over 20 characters (a reader that sends the UID in decimal).
      const idTag = rng.digits(rng.int(21, 30));
      const frame = [2, ctx.messageId, 'Authorize', { idTag }];
      return { value: JSON.stringify({ ...envelope(ctx, 'Authorize', frame), source: 'ocpp1.6' }) };
    }
    case 1: {
      const frame = [2, ctx.messageId, 'StartTransaction', { connectorId: 1, idTag: ctx.idTag, meterStart: '1200', timestamp: isoSeconds(at) }];
      return { value: JSON.stringify({ ...envelope(ctx, 'StartTransaction', frame), source: 'ocpp1.6' }) };
    }
    case 2: {
      const payload = {
        eventType: 'Updated',
        timestamp: isoMillis(at),
        triggerReason: 'MeterValuePeriodic',
        transactionInfo: { transactionId: rng.uuid() },
      };
      const frame = [2, ctx.messageId, 'TransactionEvent', payload];
      return { value: JSON.stringify({ ...envelope(ctx, 'TransactionEvent', frame), source: 'ocpp2.0.1' }) };
    }
    case 3: {
      const frame = [2, ctx.messageId, 'Authorize', { idToken: { idToken: ctx.idTag, type: 'RFID' } }];
      return { value: JSON.stringify({ ...envelope(ctx, 'Authorize', frame), source: 'ocpp2.0.1' }) };
    }
    case 4: {
      const frame = [2, ctx.messageId, 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Occupied' }];
      return { value: JSON.stringify({ ...envelope(ctx, 'StatusNotification', frame), source: 'ocpp1.6' }) };
    }
    case 5: {
      const frame = [2, ctx.messageId, 'Authorize', { idTag: ctx.idTag, idToken: ctx.idTag }];
      return { value: JSON.stringify({ ...envelope(ctx, 'Authorize', frame), source: 'ocpp1.6' }) };
    }
    default: {
      // An OCPI Session whose kwh arrives as a string, as some CPO backends serialize decimals.
      const cpo = ctx.population.cpo;
      const id = rng.uuid();
      const object = {
        country_code: cpo.countryCode,
        party_id: cpo.partyId,
        id,
        start_date_time: isoSeconds(at - 1_800_000),
        kwh: '12.5',
        cdr_token: { country_code: 'NL', party_id: 'TNM', uid: ctx.idTag, type: 'RFID', contract_id: `NL-TNM-C${rng.digits(8)}-X` },
        auth_method: 'WHITELIST',
        location_id: `LOC${ctx.stationId.slice(3)}`,
        evse_uid: `${ctx.stationId}-1`,
        connector_id: '1',
        currency: 'EUR',
        status: 'ACTIVE',
        last_updated: isoSeconds(at),
      };
      const value = JSON.stringify({ tenant: ctx.tenant, source: 'ocpi2.2.1', module: 'sessions', receivedAt: isoMillis(at), object });
      return { value, topic: OCPI_TOPIC, key: id };
    }
  }
}

/** One malformed record at time `at`, about a random station and card of the population. */
export function malformedRecord(rng: Random, tenant: string, population: Population, at: number): TrafficRecord {
  const station = rng.pick(population.stations);
  const card = rng.pick(population.cards);
  const ctx: MalformedContext = {
    rng,
    tenant,
    population,
    at,
    stationId: station.id,
    source: station.protocol,
    // An RFID-style id that fits both versions (≤ 20 characters).
    idTag: card.idTag.length <= 20 ? card.idTag : card.idTag.slice(0, 20),
    messageId: rng.uuid(),
  };
  const built = VARIANTS.pick(rng)(ctx);
  return {
    topic: built.topic ?? OCPP_TOPIC,
    key: built.key ?? station.id,
    value: built.value,
    kind: 'malformed',
    message: `malformed:${built.reason}`,
    expectedReason: built.reason,
  };
}
