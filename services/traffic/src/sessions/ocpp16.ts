import type { Random } from '../random';
import { NO_SUBJECTS, type TrafficRecord, type TrafficSubject } from '../record';
import { isoSeconds } from '../time';
import { ocmf } from './ocmf';
import { EXCHANGE_AUTHORIZE, EXCHANGE_START, EXCHANGE_STOP, OcppSession, stationSpelling } from './ocpp';
import type { Session } from './session';
import { Step, type StepKind, type StopMode } from './steps';

/** The OCPP 1.6J frames of one session: idTag, integer transactionId, connector statuses, MeterValues. */

const OTHER_REASONS = ['PowerLoss', 'EmergencyStop', 'Other', 'Reboot'] as const;

export class Ocpp16Session extends OcppSession {
  /** AuthorizationStatus values a rejected card gets. */
  static readonly REJECTIONS = ['Invalid', 'Blocked', 'Expired'] as const;
  readonly startsOnPlugIn = false;
  readonly sendsChargingStatuses = true;
  protected readonly statusNotification = statusNotification16;

  private readonly idTag: string;
  private readonly tokenSubjects: readonly TrafficSubject[];
  /** The CSMS's transactionId; a rejected card never gets one. */
  private readonly transactionId: number;

  constructor(session: Session) {
    super(session);
    const card = session.card;
    // A Plug & Charge contract at a 1.6 station arrives as a plain idTag (no eMAID type in 1.6).
    this.idTag = card.type === 'emaid' ? card.idTag.replace(/-/g, '') : stationSpelling(card.idTag, card, this.station);
    this.tokenSubjects = Object.freeze([
      { kind: card.type === 'autocharge' ? 'vehicle' : 'uid', raw: this.idTag } as const,
      ...session.plainSubjects,
    ]);
    this.transactionId = session.rejected === undefined ? this.host.nextTransactionId() : 0;
  }

  frame(kind: StepKind, at: number): TrafficRecord | undefined {
    const session = this.session;
    switch (kind) {
      case Step.PLUG:
        return this.status(at, 'Preparing', NO_SUBJECTS);
      case Step.REMOTE:
        return this.call(at, 'RemoteStartTransaction', { connectorId: this.connector.id, idTag: this.idTag }, this.tokenSubjects);
      case Step.AUTHORIZE:
        return this.call(at, 'Authorize', { idTag: this.idTag }, this.tokenSubjects, true, EXCHANGE_AUTHORIZE);
      case Step.AUTHORIZE_CONF:
        return this.result(at, EXCHANGE_AUTHORIZE, 'Authorize', { idTagInfo: this.idTagInfo(session.rejected) }, this.authorizeSubjects());
      case Step.START:
        return this.startTransaction(at);
      case Step.START_CONF:
        return this.result(
          at,
          EXCHANGE_START,
          'StartTransaction',
          { idTagInfo: this.idTagInfo(), transactionId: this.transactionId },
          session.groupSubjects,
        );
      case Step.CHARGING:
        return this.status(at, 'Charging', session.plainSubjects);
      case Step.METER:
        return this.meterValues(at);
      case Step.SUSPENDED:
        return this.status(at, 'SuspendedEV', session.plainSubjects);
      case Step.STOP:
        return this.stopTransaction(at);
      case Step.STOP_CONF:
        return this.stopTransactionConf(at);
      case Step.FINISHING:
        return this.status(at, 'Finishing', session.plainSubjects);
      case Step.UNPLUG:
        return this.status(at, 'Available', NO_SUBJECTS);
      default:
        return undefined;
    }
  }

  /** IdTagInfo; parentIdTag and expiryDate only for accepted cards that have them. */
  private idTagInfo(status = 'Accepted'): Record<string, unknown> {
    if (status !== 'Accepted') return { status };
    const card = this.session.card;
    const info: Record<string, unknown> = { status };
    if (card.expiryDate !== undefined) info.expiryDate = card.expiryDate;
    if (card.group !== undefined) info.parentIdTag = card.group;
    return info;
  }

  private startTransaction(at: number): TrafficRecord {
    return this.call(
      at,
      'StartTransaction',
      { connectorId: this.connector.id, idTag: this.idTag, meterStart: this.session.meterStartWh, timestamp: this.stationTime(at) },
      this.tokenSubjects,
      true,
      EXCHANGE_START,
    );
  }

  /**
   * MeterValues.req, the most frequent message of the stream: written as a template (every value is a number or
   * a fixed enum string, nothing needs escaping). Same fields as energySample.
   */
  private meterValues(at: number): TrafficRecord {
    const session = this.session;
    const wh = session.energyAt(at);
    const register = session.meterStartWh + wh;
    const energy = this.station.kwhUnits
      ? `{"value":"${(register / 1000).toFixed(3)}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"kWh"}`
      : `{"value":"${Math.round(register)}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"}`;
    const soc =
      this.connector.powerType === 'DC'
        ? `,{"value":"${session.socAt(wh)}","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"}`
        : '';
    const power =
      at < session.chargeEnd && this.station.index % 3 === 0
        ? `,{"value":"${Math.round(session.powerW)}","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"}`
        : '';
    const payload = `{"connectorId":${this.connector.id},"transactionId":${this.transactionId},"meterValue":[{"timestamp":"${this.stationTime(at)}","sampledValue":[${energy}${soc}${power}]}]}`;
    return this.call(at, 'MeterValues', payload, session.plainSubjects);
  }

  private energySample(registerWh: number, context: string): Record<string, unknown> {
    return this.station.kwhUnits
      ? { value: (registerWh / 1000).toFixed(3), context, measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'kWh' }
      : { value: String(Math.round(registerWh)), context, measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' };
  }

  private stopTransaction(at: number): TrafficRecord {
    const session = this.session;
    const rng = this.host.rng;
    const meterStop = session.meterStartWh + Math.round(session.energyWh);
    const payload: Record<string, unknown> = {};
    // The stopping idTag is optional; chargers send it when a card stopped the session and often otherwise.
    const withIdTag = session.stopMode === 'local' || rng.chance(0.6);
    if (withIdTag) payload.idTag = this.idTag;
    payload.meterStop = meterStop;
    payload.timestamp = this.stationTime(at);
    payload.transactionId = this.transactionId;
    const reason = stopReason(session.stopMode, rng);
    if (reason !== undefined) payload.reason = reason;
    if (this.station.eichrecht || rng.chance(0.25)) {
      const end: Record<string, unknown>[] = [this.energySample(meterStop, 'Transaction.End')];
      if (this.station.eichrecht) {
        end.push({ value: ocmf(session, true), context: 'Transaction.End', format: 'SignedData' });
      }
      payload.transactionData = [
        { timestamp: isoSeconds(session.chargeStart), sampledValue: [this.energySample(session.meterStartWh, 'Transaction.Begin')] },
        { timestamp: this.stationTime(at), sampledValue: end },
      ];
    }
    return this.call(at, 'StopTransaction', payload, withIdTag ? this.tokenSubjects : session.plainSubjects, true, EXCHANGE_STOP);
  }

  private stopTransactionConf(at: number): TrafficRecord {
    // idTagInfo is optional in StopTransaction.conf; CSMSs that check the stopping card return it.
    const withInfo = this.station.index % 2 === 0;
    return this.result(
      at,
      EXCHANGE_STOP,
      'StopTransaction',
      withInfo ? { idTagInfo: this.idTagInfo() } : {},
      withInfo ? this.session.groupSubjects : this.session.plainSubjects,
    );
  }
}

/** StatusNotification.req of a connector (0: the charge point as a whole, OCPP 1.6 §4.9). */
export function statusNotification16(connectorId: number, status: string, timestamp: string): Record<string, unknown> {
  return { connectorId, errorCode: 'NoError', status, timestamp };
}

function stopReason(mode: StopMode, rng: Random): string | undefined {
  switch (mode) {
    case 'departed':
    case 'soc':
      return 'EVDisconnected';
    case 'local':
      // Omitted reason means Local (OCPP 1.6 §6.49); many chargers leave it out.
      return rng.chance(0.5) ? 'Local' : undefined;
    case 'remote':
      return 'Remote';
    default:
      return rng.pick(OTHER_REASONS);
  }
}
