import type { Card } from '../population';
import { ocpiObject, type TrafficRecord, type TrafficSubject } from '../record';
import { HOUR, isoSeconds, MINUTE, SECOND } from '../time';
import { ocmfPayload, round3, signature } from './ocmf';
import type { Session } from './session';

/**
 * OCPI 2.2.1 as the CPO's platform publishes it for cards of other eMSPs: the eMSP's Token on first sight, then
 * per session the Session object at each update and the final CDR, whose cdr_token names the issuer.
 */

type SessionStatus = 'PENDING' | 'ACTIVE' | 'COMPLETED';

/** The card's token as its eMSP pushes it (mod_tokens PUT), before the first session at this CPO. */
export function tokenRecord(tenant: string, card: Card, at: number): TrafficRecord {
  const object: Record<string, unknown> = {
    ...cdrToken(card),
    visual_number: card.visualNumber,
    issuer: card.issuer.name,
    valid: true,
    whitelist: card.ocpiType === 'APP_USER' ? 'NEVER' : 'ALLOWED',
    language: card.issuer.countryCode === 'DE' ? 'de' : 'nl',
    last_updated: isoSeconds(at - 3 * SECOND),
  };
  const subjects: TrafficSubject[] = [
    { kind: 'uid', raw: card.idToken },
    { kind: 'emaid', raw: card.contractId },
    { kind: 'visual', raw: card.visualNumber },
  ];
  if (card.group !== undefined) {
    object.group_id = card.group;
    subjects.push({ kind: 'group', raw: card.group });
  }
  return ocpiObject(tenant, 'tokens', card.idToken, at, JSON.stringify(object), subjects);
}

/** The Session updates and the CDR of one session of a roaming card. */
export class OcpiReport {
  private readonly session: Session;
  private readonly id: string;
  private readonly cdrId: string;
  private readonly authMethod: 'AUTH_REQUEST' | 'COMMAND' | 'WHITELIST';
  private readonly authorizationReference?: string;
  /** The Session members that never change during the session, as JSON members (built on first use). */
  private fixed = '';
  private readonly subjectLists: (readonly TrafficSubject[] | undefined)[] = [undefined, undefined];

  constructor(session: Session) {
    const host = session.host;
    this.session = session;
    this.id = host.rng.uuid();
    this.cdrId = host.nextCdrId();
    this.authMethod = session.card.type === 'app' ? 'COMMAND' : host.rng.chance(0.3) ? 'AUTH_REQUEST' : 'WHITELIST';
    if (this.authMethod !== 'WHITELIST') this.authorizationReference = `AR${host.rng.hex(18)}`;
  }

  /**
   * A full Session object (the CPO PUTs the whole object on each update here, so every record validates as a
   * complete Session). The members that never change are stringified once per session; the moving ones are
   * numbers, RFC 3339 strings and enum values, appended as text.
   */
  sessionRecord(at: number, status: SessionStatus): TrafficRecord {
    const session = this.session;
    const cpo = session.host.cpo;
    if (this.fixed === '') {
      const fixed: Record<string, unknown> = { cdr_token: cdrToken(session.card), auth_method: this.authMethod };
      if (this.authorizationReference !== undefined) fixed.authorization_reference = this.authorizationReference;
      fixed.location_id = session.station.location.id;
      fixed.evse_uid = session.connector.evseUid;
      fixed.connector_id = '1';
      if (session.station.eichrecht) fixed.meter_id = session.station.meterSerialNumber;
      fixed.currency = 'EUR';
      const json = JSON.stringify(fixed);
      this.fixed = json.slice(1, -1);
    }
    const charging = status !== 'PENDING' && at > session.chargeStart;
    const wh = charging ? session.energyAt(at) : 0;
    const start = isoSeconds(status === 'PENDING' ? at : session.chargeStart);
    const end = status === 'COMPLETED' ? `,"end_date_time":"${isoSeconds(session.stopAt)}"` : '';
    const progress =
      wh > 0
        ? `,"charging_periods":${JSON.stringify(this.chargingPeriods(at))},"total_cost":${JSON.stringify(this.price(wh))}`
        : '';
    const object = `{"country_code":"${cpo.countryCode}","party_id":"${cpo.partyId}","id":"${this.id}","start_date_time":"${start}"${end},"kwh":${round3(wh / 1000)},${this.fixed}${progress},"status":"${status}","last_updated":"${isoSeconds(at)}"}`;
    return ocpiObject(session.host.tenant, 'sessions', this.id, at, object, this.subjects(false), session.fleet);
  }

  cdrRecord(at: number): TrafficRecord {
    const session = this.session;
    const cpo = session.host.cpo;
    const station = session.station;
    const connector = session.connector;
    const location = station.location;
    const rng = session.host.rng;
    const cdrLocation: Record<string, unknown> = { id: location.id };
    if (location.name !== undefined) cdrLocation.name = location.name;
    cdrLocation.address = location.address;
    cdrLocation.city = location.city;
    cdrLocation.postal_code = location.postalCode;
    cdrLocation.country = location.country;
    cdrLocation.coordinates = { latitude: location.latitude, longitude: location.longitude };
    cdrLocation.evse_uid = connector.evseUid;
    cdrLocation.evse_id = connector.evseId;
    cdrLocation.connector_id = '1';
    cdrLocation.connector_standard = connector.standard;
    cdrLocation.connector_format = connector.format;
    cdrLocation.connector_power_type = connector.powerType;

    const chargingHours = (session.chargeEnd - session.chargeStart) / HOUR;
    const totalHours = (session.stopAt - session.chargeStart) / HOUR;
    const parkingHours = totalHours - chargingHours;
    const object: Record<string, unknown> = {
      country_code: cpo.countryCode,
      party_id: cpo.partyId,
      id: this.cdrId,
      start_date_time: isoSeconds(session.chargeStart),
      end_date_time: isoSeconds(session.stopAt),
      session_id: this.id,
      cdr_token: cdrToken(session.card),
      auth_method: this.authMethod,
    };
    if (this.authorizationReference !== undefined) object.authorization_reference = this.authorizationReference;
    object.cdr_location = cdrLocation;
    if (station.eichrecht) object.meter_id = station.meterSerialNumber;
    object.currency = 'EUR';
    if (rng.chance(0.2)) object.tariffs = [this.tariff(at)];
    object.charging_periods = this.chargingPeriods(session.stopAt);
    const signed = station.eichrecht && station.meterPublicKey !== undefined && rng.chance(0.7);
    if (signed) {
      object.signed_data = {
        encoding_method: 'OCMF',
        encoding_method_version: 1,
        public_key: station.meterPublicKey,
        signed_values: [
          { nature: 'Start', plain_data: ocmfPayload(session, false), signed_data: signature(rng) },
          { nature: 'End', plain_data: ocmfPayload(session, true), signed_data: signature(rng) },
        ],
      };
    }
    const total = this.price(session.energyWh);
    object.total_cost = total;
    object.total_energy = round3(session.energyWh / 1000);
    object.total_energy_cost = total;
    object.total_time = round3(totalHours);
    if (parkingHours > 0.01) object.total_parking_time = round3(parkingHours);
    // Employer-paid home charging: the eMSP reimburses the driver (pii-catalog: the CDR then points at a home).
    if (station.home) object.home_charging_compensation = true;
    else if (rng.chance(0.1)) object.home_charging_compensation = false;
    object.last_updated = isoSeconds(at);
    return ocpiObject(session.host.tenant, 'cdrs', this.cdrId, at, JSON.stringify(object), this.subjects(signed), session.fleet);
  }

  /** Identifiers of the Session and the CDR; the CDR's signed data adds the meter's public key. */
  private subjects(withPublicKey: boolean): readonly TrafficSubject[] {
    const index = withPublicKey ? 1 : 0;
    const cached = this.subjectLists[index];
    if (cached !== undefined) return cached;
    const session = this.session;
    const subjects: TrafficSubject[] = [
      { kind: 'uid', raw: session.card.idToken },
      { kind: 'emaid', raw: session.card.contractId },
    ];
    if (this.authorizationReference !== undefined) subjects.push({ kind: 'authref', raw: this.authorizationReference });
    if (session.station.eichrecht) subjects.push({ kind: 'device', raw: session.station.meterSerialNumber });
    if (withPublicKey && session.station.meterPublicKey !== undefined) subjects.push({ kind: 'device', raw: session.station.meterPublicKey });
    for (const subject of session.plainSubjects) subjects.push(subject);
    this.subjectLists[index] = Object.freeze(subjects);
    return subjects;
  }

  private chargingPeriods(at: number): Record<string, unknown>[] {
    const session = this.session;
    const wh = session.energyAt(at);
    const chargingEnd = Math.min(at, session.chargeEnd);
    const dimensions: Record<string, unknown>[] = [
      { type: 'ENERGY', volume: round3(wh / 1000) },
      { type: 'TIME', volume: round3((chargingEnd - session.chargeStart) / HOUR) },
    ];
    if (session.connector.powerType === 'DC') dimensions.push({ type: 'STATE_OF_CHARGE', volume: session.socAt(wh) });
    const periods: Record<string, unknown>[] = [
      { start_date_time: isoSeconds(session.chargeStart), dimensions, tariff_id: this.tariffId() },
    ];
    if (at > session.chargeEnd + MINUTE) {
      periods.push({
        start_date_time: isoSeconds(session.chargeEnd),
        dimensions: [{ type: 'PARKING_TIME', volume: round3((Math.min(at, session.stopAt) - session.chargeEnd) / HOUR) }],
        tariff_id: this.tariffId(),
      });
    }
    return periods;
  }

  private tariffId(): string {
    const station = this.session.station;
    return `${station.dc ? 'DC' : 'AC'}-${station.index % 5}`;
  }

  private tariff(at: number): Record<string, unknown> {
    const session = this.session;
    const cpo = session.host.cpo;
    return {
      country_code: cpo.countryCode,
      party_id: cpo.partyId,
      id: this.tariffId(),
      currency: 'EUR',
      type: 'REGULAR',
      elements: [{ price_components: [{ type: 'ENERGY', price: session.pricePerKwh, vat: session.vat * 100, step_size: 1 }] }],
      last_updated: isoSeconds(at - 30 * 24 * HOUR),
    };
  }

  private price(wh: number): Record<string, unknown> {
    const session = this.session;
    const excl = Math.round((wh / 1000) * session.pricePerKwh * 100) / 100;
    return { excl_vat: excl, incl_vat: Math.round(excl * (1 + session.vat) * 100) / 100 };
  }
}

/** The token as a Session or CDR names it (OCPI never sees the 1.6 `VID:` prefix: uid is the idToken). */
function cdrToken(card: Card): Record<string, unknown> {
  return {
    country_code: card.issuer.countryCode,
    party_id: card.issuer.partyId,
    uid: card.idToken,
    type: card.ocpiType,
    contract_id: card.contractId,
  };
}
