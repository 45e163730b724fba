import type { Card, Station } from '../population';
import type { Random } from '../random';
import { NO_SUBJECTS, type TrafficRecord, type TrafficSubject } from '../record';
import { SECOND } from '../time';
import { ocmf } from './ocmf';
import { EXCHANGE_AUTHORIZE, EXCHANGE_START, EXCHANGE_STOP, OcppSession, stationSpelling } from './ocpp';
import type { Session } from './session';
import { Step, type StepKind, type StopMode } from './steps';

/**
 * The OCPP 2.0.1 frames of one session: IdTokenType objects, a UUID transactionId and one TransactionEvent per
 * change of the transaction, numbered by seqNo.
 */

const OTHER_REASONS = ['PowerLoss', 'EmergencyStop', 'Other', 'GroundFault'] as const;

type EventType = 'Started' | 'Updated' | 'Ended';

export class Ocpp201Session extends OcppSession {
  /** AuthorizationStatusEnumType values a rejected card gets. */
  static readonly REJECTIONS = ['Invalid', 'Blocked', 'Expired', 'Unknown', 'NoCredit'] as const;
  readonly startsOnPlugIn: boolean;
  readonly sendsChargingStatuses = false;
  protected readonly statusNotification = statusNotification201;

  private readonly idToken: Record<string, unknown>;
  private readonly tokenSubjects: readonly TrafficSubject[];
  private readonly transactionId: string;
  private txStarted = false;

  constructor(session: Session) {
    super(session);
    const card = session.card;
    this.startsOnPlugIn = this.station.txStartOnPlugIn;
    const idToken = stationSpelling(card.idToken, card, this.station);
    const evccid = card.type === 'emaid' ? card.mac : undefined;
    this.idToken =
      evccid !== undefined
        ? { idToken, type: card.idTokenType, additionalInfo: [{ additionalIdToken: evccid, type: 'EVCCID' }] }
        : { idToken, type: card.idTokenType };
    const subjects: TrafficSubject[] = [{ kind: kindOfIdToken(card.idTokenType), raw: idToken }];
    if (evccid !== undefined) subjects.push({ kind: 'extra', raw: evccid });
    this.tokenSubjects = Object.freeze([...subjects, ...session.plainSubjects]);
    // Drawn even for a card that will be rejected: a transaction started at plug-in already has its id.
    this.transactionId = this.host.rng.uuid();
  }

  frame(kind: StepKind, at: number): TrafficRecord | undefined {
    const session = this.session;
    switch (kind) {
      case Step.PLUG:
        return this.status(at, 'Occupied', NO_SUBJECTS);
      case Step.PLUG_TX:
        return this.transactionEvent(at, 'Started', 'CablePluggedIn');
      case Step.REMOTE:
        return this.call(
          at,
          'RequestStartTransaction',
          { idToken: this.idToken, remoteStartId: session.remoteStartId, evseId: this.connector.id },
          this.tokenSubjects,
        );
      case Step.AUTHORIZE:
        return this.call(at, 'Authorize', { idToken: this.idToken }, this.tokenSubjects, true, EXCHANGE_AUTHORIZE);
      case Step.AUTHORIZE_CONF:
        return this.result(at, EXCHANGE_AUTHORIZE, 'Authorize', { idTokenInfo: this.idTokenInfo(session.rejected) }, this.authorizeSubjects());
      case Step.START:
        return this.transactionEvent(at, this.txStarted ? 'Updated' : 'Started', session.card.type === 'app' ? 'RemoteStart' : 'Authorized');
      case Step.START_CONF:
        return this.result(at, EXCHANGE_START, 'TransactionEvent', { idTokenInfo: this.idTokenInfo() }, session.groupSubjects);
      case Step.METER:
        return this.periodicTransactionEvent(at);
      case Step.SUSPENDED:
        return this.transactionEvent(at, 'Updated', 'ChargingStateChanged');
      case Step.STOP:
        return this.transactionEvent(at, 'Ended', endTrigger(session.stopMode));
      case Step.STOP_CONF: {
        const cost = Math.round((session.energyWh / 1000) * session.pricePerKwh * (1 + session.vat) * 100) / 100;
        return this.result(at, EXCHANGE_STOP, 'TransactionEvent', { totalCost: cost }, session.plainSubjects);
      }
      case Step.UNPLUG:
        return this.status(at, 'Available', NO_SUBJECTS);
      case Step.DEAUTHORIZED:
        return this.transactionEvent(at, 'Ended', 'Deauthorized');
      default:
        return undefined;
    }
  }

  /** IdTokenInfoType; the group travels as groupIdToken. */
  private idTokenInfo(status = 'Accepted'): Record<string, unknown> {
    if (status !== 'Accepted') return { status };
    const card = this.session.card;
    const info: Record<string, unknown> = { status };
    if (card.expiryDate !== undefined) info.cacheExpiryDateTime = card.expiryDate;
    if (card.group !== undefined) info.groupIdToken = { idToken: card.group, type: 'Central' };
    return info;
  }

  /**
   * TransactionEvent Updated/MeterValuePeriodic, the most frequent 2.0.1 message: a template, like the 1.6
   * MeterValues. transactionEvent below builds the same shape as an object.
   */
  private periodicTransactionEvent(at: number): TrafficRecord {
    const session = this.session;
    const wh = session.energyAt(at);
    const register = session.meterStartWh + Math.round(wh);
    const seqNo = this.seqNo++;
    const stamp = this.stationTime(at);
    const energy = this.station.kwhUnits
      ? `{"value":${register / 1000},"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh"}}`
      : `{"value":${register},"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}}`;
    const soc =
      this.connector.powerType === 'DC'
        ? `,{"value":${session.socAt(wh)},"context":"Sample.Periodic","measurand":"SoC","location":"EV","unitOfMeasure":{"unit":"Percent"}}`
        : '';
    const vendor = vendorCustomData(this.station, this.seqNo);
    const custom = vendor === undefined ? '' : `,"customData":${JSON.stringify(vendor)}`;
    const payload = `{"eventType":"Updated","timestamp":"${stamp}","triggerReason":"MeterValuePeriodic","seqNo":${seqNo},"transactionInfo":{"transactionId":"${this.transactionId}"},"meterValue":[{"timestamp":"${stamp}","sampledValue":[${energy}${soc}]}]${custom}}`;
    return this.call(at, 'TransactionEvent', payload, session.plainSubjects);
  }

  private transactionEvent(at: number, eventType: EventType, triggerReason: string): TrafficRecord {
    const session = this.session;
    const payload: Record<string, unknown> = {
      eventType,
      timestamp: this.stationTime(at),
      triggerReason,
      seqNo: this.seqNo++,
    };
    const info: Record<string, unknown> = { transactionId: this.transactionId };
    let subjects = session.plainSubjects;
    let withFleet = true;
    switch (triggerReason) {
      case 'CablePluggedIn':
        info.chargingState = 'EVConnected';
        withFleet = false;
        subjects = NO_SUBJECTS;
        break;
      case 'Authorized':
      case 'RemoteStart':
        info.chargingState = 'Charging';
        if (triggerReason === 'RemoteStart') info.remoteStartId = session.remoteStartId;
        payload.idToken = this.idToken;
        subjects = this.tokenSubjects;
        break;
      case 'ChargingStateChanged':
        if (eventType === 'Updated') info.chargingState = 'SuspendedEV';
        break;
      case 'StopAuthorized':
        payload.idToken = this.idToken;
        subjects = this.tokenSubjects;
        break;
      default:
        break;
    }
    if (eventType === 'Ended') {
      info.chargingState = 'Idle';
      info.timeSpentCharging = Math.round((Math.min(at, session.chargeEnd) - session.chargeStart) / SECOND);
      info.stoppedReason = triggerReason === 'Deauthorized' ? 'DeAuthorized' : stoppedReason(session.stopMode, this.host.rng);
      if (triggerReason === 'Deauthorized') {
        info.timeSpentCharging = 0;
        withFleet = false;
        subjects = NO_SUBJECTS;
      }
    }
    payload.transactionInfo = info;
    if (eventType === 'Started') {
      this.txStarted = true;
      payload.evse = { id: this.connector.id, connectorId: 1 };
    }
    if (triggerReason !== 'CablePluggedIn' && triggerReason !== 'Deauthorized') {
      payload.meterValue = [this.meterValue(at, eventType, triggerReason)];
    }
    if (eventType === 'Started' && this.connector.powerType !== 'DC') payload.numberOfPhasesUsed = this.connector.powerType === 'AC_1_PHASE' ? 1 : 3;
    const vendor = eventType === 'Updated' ? vendorCustomData(this.station, this.seqNo) : undefined;
    if (vendor !== undefined) payload.customData = vendor;
    // The start exchange is the event that carries the idToken: its response returns idTokenInfo.
    const exchange = eventType === 'Ended' ? EXCHANGE_STOP : payload.idToken !== undefined ? EXCHANGE_START : -1;
    return this.call(at, 'TransactionEvent', payload, subjects, withFleet, exchange);
  }

  private meterValue(at: number, eventType: EventType, triggerReason: string): Record<string, unknown> {
    const session = this.session;
    const begin = triggerReason === 'Authorized' || triggerReason === 'RemoteStart';
    const context = begin ? 'Transaction.Begin' : eventType === 'Ended' ? 'Transaction.End' : 'Sample.Periodic';
    const wh = begin ? 0 : session.energyAt(at);
    const register = session.meterStartWh + Math.round(wh);
    const sampled: Record<string, unknown>[] = [
      this.station.kwhUnits
        ? { value: register / 1000, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }
        : { value: register, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } },
    ];
    if (this.connector.powerType === 'DC') {
      sampled.push({ value: session.socAt(wh), context, measurand: 'SoC', location: 'EV', unitOfMeasure: { unit: 'Percent' } });
    }
    if (eventType === 'Ended' && this.station.eichrecht && this.station.meterPublicKey !== undefined) {
      sampled[0]!.signedMeterValue = {
        signedMeterData: Buffer.from(ocmf(session, true)).toString('base64'),
        signingMethod: 'ECDSA-secp256r1-SHA256',
        encodingMethod: 'OCMF',
        publicKey: this.station.meterPublicKey,
      };
    }
    return { timestamp: this.stationTime(at), sampledValue: sampled };
  }
}

/** StatusNotificationRequest of an EVSE's connector (the generator's EVSEs have one connector each). */
export function statusNotification201(evseId: number, connectorStatus: string, timestamp: string): Record<string, unknown> {
  return { timestamp, connectorStatus, evseId, connectorId: 1 };
}

/**
 * Vendor blobs ride along in customData (open on every 2.0.1 type) on every third Updated event of stations
 * that send them; ampseal drops them (design §6).
 */
function vendorCustomData(station: Station, seqNo: number): Record<string, unknown> | undefined {
  const vendorId = station.vendorCustomData;
  if (vendorId === undefined || seqNo % 3 !== 0) return undefined;
  return { vendorId, pilotState: 'C', connectorTemperature: 25 + (seqNo % 17), firmwareFlags: 'x7' };
}

function stoppedReason(mode: StopMode, rng: Random): string {
  switch (mode) {
    case 'departed':
      return 'EVDisconnected';
    case 'soc':
      return 'StoppedByEV';
    case 'local':
      return 'Local';
    case 'remote':
      return 'Remote';
    default:
      return rng.pick(OTHER_REASONS);
  }
}

function endTrigger(mode: StopMode): string {
  switch (mode) {
    case 'departed':
      return 'EVDeparted';
    case 'soc':
      return 'ChargingStateChanged';
    case 'local':
      return 'StopAuthorized';
    case 'remote':
      return 'RemoteStop';
    default:
      return 'AbnormalCondition';
  }
}

function kindOfIdToken(type: Card['idTokenType']): 'uid' | 'emaid' | 'vehicle' {
  return type === 'eMAID' ? 'emaid' : type === 'MacAddress' ? 'vehicle' : 'uid';
}
