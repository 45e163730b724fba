import type { Card, Connector, Party, Station } from './population';
import type { Random } from './random';
import {
  fleetJson,
  fleetSubjects,
  NO_SUBJECTS,
  ocpiObject,
  ocppCall,
  ocppResult,
  type TrafficRecord,
  type TrafficSubject,
} from './record';
import type { Scheduled } from './schedule';
import { HOUR, isoMillis, isoSeconds, MINUTE, ocmfTime, SECOND } from './time';

/**
 * One charging session from plug-in to CDR, as the CPO's raw topics see it: the OCPP frames of the station
 * (1.6J or 2.0.1) and, for cards issued by another eMSP, the OCPI Session updates and the final CDR the CPO
 * reports to that eMSP. The whole timeline is planned when the EV plugs in (times only, a few dozen steps);
 * each record is built when its step comes due, so ids, meter readings and timestamps stay consistent and
 * monotonic while many sessions interleave on the topic.
 */

/** What a session needs from the simulation around it (traffic.ts). */
export interface SessionHost {
  readonly tenant: string;
  readonly cpo: Party;
  readonly rng: Random;
  /** The next OCPP-J message id on the station's connection. */
  messageId(station: Station): string;
  /** The CSMS's next OCPP 1.6 transactionId (an integer sequence over all stations). */
  nextTransactionId(): number;
  /** The CSMS's next RequestStartTransaction remoteStartId. */
  nextRemoteStartId(): number;
  /** The CPO's next CDR id. */
  nextCdrId(): string;
  /** True the first time a roaming card is seen: its eMSP pushes the Token first (OCPI mod_tokens PUT). */
  firstSight(card: Card): boolean;
  /** The EV was unplugged: the connector and the card are free again, the register moved to `meterWh`. */
  unplugged(session: Session, meterWh: number): void;
}

// Step kinds. Numbers, not strings: a switch over small integers on the per-record path.
const TOKEN = 0;
const PLUG = 1;
const PLUG_TX = 2;
const REMOTE = 3;
const AUTHORIZE = 4;
const AUTHORIZE_CONF = 5;
const START = 6;
const START_CONF = 7;
const CHARGING = 8;
const METER = 9;
const SUSPENDED = 10;
const STOP = 11;
const STOP_CONF = 12;
const FINISHING = 13;
const UNPLUG = 14;
const DEAUTHORIZED = 15;
const OCPI_PENDING = 16;
const OCPI_ACTIVE = 17;
const OCPI_COMPLETED = 18;
const CDR = 19;

const EXCHANGE_AUTHORIZE = 0;
const EXCHANGE_START = 1;
const EXCHANGE_STOP = 2;

interface Step {
  readonly at: number;
  readonly kind: number;
}

type StopMode = 'departed' | 'local' | 'remote' | 'soc' | 'other';

const REJECTION_16 = ['Invalid', 'Blocked', 'Expired'] as const;
const REJECTION_201 = ['Invalid', 'Blocked', 'Expired', 'Unknown', 'NoCredit'] as const;
const OTHER_REASON_16 = ['PowerLoss', 'EmergencyStop', 'Other', 'Reboot'] as const;
const OTHER_REASON_201 = ['PowerLoss', 'EmergencyStop', 'Other', 'GroundFault'] as const;
/** At most 40 samples: a long AC session stretches its interval (about one every 15–20 min over 12 h). */
const MAX_METER_VALUES = 40;

export class Session implements Scheduled {
  at = 0;
  order = 0;
  done = false;

  readonly card: Card;
  readonly station: Station;
  readonly connector: Connector;
  private readonly host: SessionHost;
  private readonly v201: boolean;
  private readonly steps: Step[] = [];
  private next = 0;

  // Identity as this station sends it.
  private readonly idTag: string;
  private readonly idTokenObject: Record<string, unknown>;
  private readonly tokenSubjects: readonly TrafficSubject[];
  private readonly groupSubjects: readonly TrafficSubject[];
  private readonly plainSubjects: readonly TrafficSubject[];
  private readonly fleet: string;
  private readonly rejected?: string;

  // Transaction.
  private readonly transactionId16: number = 0;
  private readonly transactionId201: string = '';
  private readonly remoteStartId: number = 0;
  private seqNo = 0;
  private txStarted = false;
  /**
   * Message id of the last CALL per exchange (Authorize, start, stop), so a CALLRESULT pairs with its own CALL
   * even when another frame of the session (a 2.0.1 plug-in event) lands in between.
   */
  private readonly exchangeIds: string[] = ['', '', ''];
  private readonly stopMode: StopMode;

  // Energy model: constant power from chargeStart until the target is met, then idle until the stop.
  private readonly meterStartWh: number;
  private readonly powerW: number;
  private readonly energyWh: number;
  private chargeStart = 0;
  private chargeEnd = 0;
  private stopAt = 0;
  private readonly socStart: number;
  private readonly socEnd: number;

  // OCPI (roaming cards only).
  private readonly ocpiSessionId: string = '';
  private readonly cdrId: string = '';
  private readonly authMethod: 'AUTH_REQUEST' | 'COMMAND' | 'WHITELIST' = 'WHITELIST';
  private readonly authorizationReference?: string;
  private readonly pricePerKwh: number;
  private readonly vat: number;
  /** The OCPI Session fields that never change during the session, as JSON members (built on first use). */
  private ocpiFixed = '';
  private ocpiSubjectLists: (readonly TrafficSubject[] | undefined)[] = [undefined, undefined];

  constructor(host: SessionHost, card: Card, station: Station, connector: Connector, at: number, meterStartWh: number) {
    const rng = host.rng;
    this.host = host;
    this.card = card;
    this.station = station;
    this.connector = connector;
    this.v201 = station.protocol === 'ocpp2.0.1';
    this.meterStartWh = meterStartWh;
    const app = card.type === 'app';
    const dc = connector.powerType === 'DC';

    // --- identity as written by this station ---
    const lower = station.lowerCaseIdTags && (card.type === 'rfid7' || card.type === 'rfid4');
    // A Plug & Charge contract at a 1.6 station arrives as a plain idTag (no eMAID type in 1.6).
    this.idTag = card.type === 'emaid' ? card.idTag.replace(/-/g, '') : lower ? card.idTag.toLowerCase() : card.idTag;
    const idToken = lower ? card.idToken.toLowerCase() : card.idToken;
    const tokenSubjects: TrafficSubject[] = [];
    if (this.v201) {
      this.idTokenObject =
        card.type === 'emaid' && card.mac !== undefined
          ? { idToken, type: card.idTokenType, additionalInfo: [{ additionalIdToken: card.mac, type: 'EVCCID' }] }
          : { idToken, type: card.idTokenType };
      tokenSubjects.push({ kind: kindOfIdToken(card.idTokenType), raw: idToken });
      if (card.type === 'emaid' && card.mac !== undefined) tokenSubjects.push({ kind: 'extra', raw: card.mac });
    } else {
      this.idTokenObject = {};
      tokenSubjects.push({ kind: card.type === 'autocharge' ? 'vehicle' : 'uid', raw: this.idTag });
    }
    const fleet = fleetSubjects(card.fleet);
    this.fleet = fleetJson(card.fleet);
    this.plainSubjects = fleet;
    this.tokenSubjects = Object.freeze([...tokenSubjects, ...fleet]);
    this.groupSubjects =
      card.group === undefined ? fleet : Object.freeze([{ kind: 'group', raw: card.group } as const, ...fleet]);

    // --- energy model ---
    if (dc) {
      this.powerW = Math.min(connector.maxKw, rng.pick([50, 75, 100, 135, 170])) * rng.range(0.55, 0.85) * 1000;
      this.energyWh = rng.range(10, 60) * 1000;
      this.socStart = rng.int(8, 45);
      this.socEnd = Math.min(100, this.socStart + rng.int(25, 60));
    } else {
      const carKw = rng.pick([3.7, 7.4, 11, 11]);
      this.powerW = Math.min(connector.maxKw, carKw) * rng.range(0.85, 0.98) * 1000;
      // Log-normal-ish top-ups: most sessions are small, a few fill a large battery.
      const kwh = station.home ? rng.range(5, 45) : Math.exp(1.9 + 0.6 * rng.gaussian());
      this.energyWh = Math.min(Math.max(kwh, 1.5), this.powerW / 1000 * 12) * 1000;
      this.socStart = 0;
      this.socEnd = 0;
    }
    this.pricePerKwh = station.home ? 0.25 : dc ? 0.59 + (station.index % 4) * 0.05 : 0.39 + (station.index % 5) * 0.03;
    this.vat = station.location.country === 'DEU' ? 0.19 : 0.21;

    // --- outcome ---
    const authorizes = !app;
    if (authorizes && rng.chance(0.025)) this.rejected = rng.pick(this.v201 ? REJECTION_201 : REJECTION_16);
    this.stopMode = app
      ? rng.chance(0.6) ? 'remote' : 'departed'
      : dc
        ? pickMode(rng, 0.15, 0.35, 0.0, 0.45)
        : pickMode(rng, 0.6, 0.31, 0.05, 0.0);

    if (this.v201) {
      this.transactionId201 = rng.uuid();
    } else if (this.rejected === undefined) {
      this.transactionId16 = host.nextTransactionId();
    }
    if (app) this.remoteStartId = host.nextRemoteStartId();
    if (card.roaming && this.rejected === undefined) {
      this.ocpiSessionId = rng.uuid();
      this.cdrId = host.nextCdrId();
      this.authMethod = app ? 'COMMAND' : rng.chance(0.3) ? 'AUTH_REQUEST' : 'WHITELIST';
      if (this.authMethod !== 'WHITELIST') this.authorizationReference = `AR${rng.hex(18)}`;
    }

    this.plan(at, rng, app, dc);
    this.steps.sort(byTime);
    this.at = this.steps[0]!.at;
  }

  /** The card's OCPI token uid (OCPI never sees the 1.6 `VID:` prefix). */
  get ocpiUid(): string {
    return this.card.idToken;
  }

  /** Builds the record of the step that is due and moves to the next one. */
  step(): TrafficRecord | undefined {
    const step = this.steps[this.next++]!;
    const record = this.emit(step);
    if (this.next < this.steps.length) this.at = this.steps[this.next]!.at;
    else this.done = true;
    return record;
  }

  private add(at: number, kind: number): void {
    this.steps.push({ at: Math.round(at), kind });
  }

  private plan(at: number, rng: Random, app: boolean, dc: boolean): void {
    const card = this.card;
    const station = this.station;
    const roaming = this.ocpiSessionId !== '';
    let t = at;
    if (card.roaming && this.host.firstSight(card)) {
      this.add(t, TOKEN);
      t += rng.range(1, 30) * SECOND;
    }
    this.add(t, PLUG);
    const plugTx = this.v201 && station.txStartOnPlugIn && !app;
    if (plugTx) this.add(t + rng.range(300, 2000), PLUG_TX);

    let startAt: number;
    if (app) {
      const remote = t + rng.range(20, 120) * SECOND;
      this.add(remote, REMOTE);
      if (roaming && rng.chance(0.3)) this.add(remote + rng.range(200, 900), OCPI_PENDING);
      startAt = remote + rng.range(1.5, 6) * SECOND;
    } else {
      const quick = card.type === 'autocharge' || card.type === 'emaid';
      const authorize = t + (quick ? rng.range(1.5, 6) : rng.range(4, 40)) * SECOND;
      const conf = authorize + rng.range(120, 1200);
      this.add(authorize, AUTHORIZE);
      this.add(conf, AUTHORIZE_CONF);
      if (this.rejected !== undefined) {
        const end = conf + rng.range(3, 20) * SECOND;
        if (plugTx) this.add(end, DEAUTHORIZED);
        this.add(end + rng.range(30, 300) * SECOND, UNPLUG);
        return;
      }
      if (roaming && rng.chance(0.3)) this.add(conf + rng.range(200, 900), OCPI_PENDING);
      startAt = conf + rng.range(0.8, 4) * SECOND;
    }
    const startConf = startAt + rng.range(100, 900);
    this.add(startAt, START);
    this.add(startConf, START_CONF);
    if (!this.v201) this.add(startConf + rng.range(500, 2500), CHARGING);
    if (roaming) this.add(startConf + rng.range(2, 20) * SECOND, OCPI_ACTIVE);

    this.chargeStart = startAt;
    this.chargeEnd = startAt + (this.energyWh / this.powerW) * HOUR;
    let idle = 0;
    if (station.home) idle = rng.range(0.5, 9) * HOUR;
    else if (dc) idle = rng.range(0.2, 4) * MINUTE;
    else if (rng.chance(0.5)) idle = rng.range(0, 3) * HOUR;
    if (this.stopMode === 'soc' || this.stopMode === 'remote') idle = Math.min(idle, 2 * MINUTE);
    this.stopAt = this.chargeEnd + idle;
    const total = this.stopAt - startAt;

    let interval = station.meterIntervalS * SECOND;
    let count = Math.floor(total / interval);
    if (count > MAX_METER_VALUES) {
      interval = Math.ceil(total / MAX_METER_VALUES);
      count = MAX_METER_VALUES;
    }
    if (count < 1) {
      count = 1;
      interval = total / 2;
    }
    // OCPI Session updates: about every quarter of the session, never before a minute in.
    const every = Math.max(Math.ceil(count / 4), Math.ceil(MINUTE / interval));
    for (let j = 1; j <= count; j++) {
      const mv = startAt + j * interval + rng.range(0, 1500);
      if (mv >= this.stopAt - SECOND) break;
      this.add(mv, METER);
      if (roaming && j % every === 0) {
        const update = mv + rng.range(2, 20) * SECOND;
        if (update < this.stopAt) this.add(update, OCPI_ACTIVE);
      }
    }
    if (idle > 2 * MINUTE) this.add(this.chargeEnd + rng.range(0, 5000), SUSPENDED);

    this.add(this.stopAt, STOP);
    this.add(this.stopAt + rng.range(100, 900), STOP_CONF);
    let unplugDelay: number;
    switch (this.stopMode) {
      case 'departed':
        unplugDelay = rng.range(1, 4) * SECOND;
        break;
      case 'local':
        unplugDelay = rng.range(10, 180) * SECOND;
        break;
      case 'remote':
        unplugDelay = rng.range(20, 300) * SECOND;
        break;
      case 'soc':
        unplugDelay = rng.range(1, 10) * MINUTE;
        break;
      default:
        unplugDelay = rng.range(1, 30) * MINUTE;
    }
    if (!this.v201 && this.stopMode !== 'departed') this.add(this.stopAt + rng.range(1000, 2500), FINISHING);
    this.add(this.stopAt + unplugDelay, UNPLUG);
    if (roaming) {
      this.add(this.stopAt + rng.range(5, 60) * SECOND, OCPI_COMPLETED);
      this.add(this.stopAt + rng.range(1, 15) * MINUTE, CDR);
    }
  }

  private emit(step: Step): TrafficRecord | undefined {
    const at = step.at;
    switch (step.kind) {
      case TOKEN:
        return this.token(at);
      case PLUG:
        return this.status(at, this.v201 ? 'Occupied' : 'Preparing', NO_SUBJECTS);
      case PLUG_TX:
        return this.transactionEvent(at, 'Started', 'CablePluggedIn');
      case REMOTE:
        return this.remoteStart(at);
      case AUTHORIZE:
        return this.authorize(at);
      case AUTHORIZE_CONF:
        return this.authorizeConf(at);
      case START:
        return this.v201
          ? this.transactionEvent(at, this.txStarted ? 'Updated' : 'Started', this.card.type === 'app' ? 'RemoteStart' : 'Authorized')
          : this.startTransaction(at);
      case START_CONF:
        return this.v201 ? this.transactionEventConf(at, true) : this.startTransactionConf(at);
      case CHARGING:
        return this.status(at, 'Charging', this.plainSubjects);
      case METER:
        return this.v201 ? this.periodicTransactionEvent(at) : this.meterValues(at);
      case SUSPENDED:
        return this.v201
          ? this.transactionEvent(at, 'Updated', 'ChargingStateChanged')
          : this.status(at, 'SuspendedEV', this.plainSubjects);
      case STOP:
        return this.v201 ? this.transactionEvent(at, 'Ended', endTrigger(this.stopMode)) : this.stopTransaction(at);
      case STOP_CONF:
        return this.v201 ? this.transactionEventConf(at, false) : this.stopTransactionConf(at);
      case FINISHING:
        return this.status(at, 'Finishing', this.plainSubjects);
      case UNPLUG: {
        const delivered = this.rejected === undefined ? Math.round(this.energyWh) : 0;
        this.host.unplugged(this, this.meterStartWh + delivered);
        return this.status(at, 'Available', NO_SUBJECTS);
      }
      case DEAUTHORIZED:
        return this.transactionEvent(at, 'Ended', 'Deauthorized');
      case OCPI_PENDING:
        return this.ocpiSession(at, 'PENDING');
      case OCPI_ACTIVE:
        return this.ocpiSession(at, 'ACTIVE');
      case OCPI_COMPLETED:
        return this.ocpiSession(at, 'COMPLETED');
      case CDR:
        return this.cdr(at);
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- OCPP, both versions

  /** The station's clock: the frame was sent one network hop (20–600 ms) before the platform received it. */
  private stationTime(at: number): string {
    const sent = at - this.host.rng.int(20, 600);
    return this.v201 ? isoMillis(sent) : isoSeconds(sent);
  }

  /** `payload` as an object, or as JSON text for the templated hot messages. */
  private call(
    at: number,
    action: string,
    payload: Record<string, unknown> | string,
    subjects: readonly TrafficSubject[],
    withFleet = true,
    exchange = -1,
  ): TrafficRecord {
    const messageId = this.host.messageId(this.station);
    if (exchange >= 0) this.exchangeIds[exchange] = messageId;
    const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return ocppCall(this.host.tenant, this.station, at, messageId, action, json, subjects, withFleet ? this.fleet : '');
  }

  private result(
    at: number,
    exchange: number,
    action: string,
    payload: Record<string, unknown>,
    subjects: readonly TrafficSubject[],
  ): TrafficRecord {
    const messageId = this.exchangeIds[exchange]!;
    return ocppResult(this.host.tenant, this.station, at, messageId, action, JSON.stringify(payload), subjects, this.fleet);
  }

  private status(at: number, status: string, subjects: readonly TrafficSubject[]): TrafficRecord {
    // Before authorization nobody knows whose car it is: no fleet ids on the first status.
    const withFleet = subjects !== NO_SUBJECTS;
    if (this.v201) {
      return this.call(
        at,
        'StatusNotification',
        { timestamp: this.stationTime(at), connectorStatus: status, evseId: this.connector.id, connectorId: 1 },
        subjects,
        withFleet,
      );
    }
    return this.call(
      at,
      'StatusNotification',
      { connectorId: this.connector.id, errorCode: 'NoError', status, timestamp: this.stationTime(at) },
      subjects,
      withFleet,
    );
  }

  private remoteStart(at: number): TrafficRecord {
    if (this.v201) {
      return this.call(
        at,
        'RequestStartTransaction',
        { idToken: this.idTokenObject, remoteStartId: this.remoteStartId, evseId: this.connector.id },
        this.tokenSubjects,
      );
    }
    return this.call(at, 'RemoteStartTransaction', { connectorId: this.connector.id, idTag: this.idTag }, this.tokenSubjects);
  }

  private authorize(at: number): TrafficRecord {
    return this.v201
      ? this.call(at, 'Authorize', { idToken: this.idTokenObject }, this.tokenSubjects, true, EXCHANGE_AUTHORIZE)
      : this.call(at, 'Authorize', { idTag: this.idTag }, this.tokenSubjects, true, EXCHANGE_AUTHORIZE);
  }

  private authorizeConf(at: number): TrafficRecord {
    if (this.v201) {
      return this.result(at, EXCHANGE_AUTHORIZE, 'Authorize', { idTokenInfo: this.idTokenInfo(this.rejected) }, this.infoSubjects());
    }
    return this.result(at, EXCHANGE_AUTHORIZE, 'Authorize', { idTagInfo: this.idTagInfo(this.rejected) }, this.infoSubjects());
  }

  private infoSubjects(): readonly TrafficSubject[] {
    return this.rejected === undefined ? this.groupSubjects : this.plainSubjects;
  }

  /** OCPP 1.6 IdTagInfo; parentIdTag and expiryDate only for accepted cards that have them. */
  private idTagInfo(status = 'Accepted'): Record<string, unknown> {
    if (status !== 'Accepted') return { status };
    const card = this.card;
    const info: Record<string, unknown> = { status };
    if (card.expiryDate !== undefined) info.expiryDate = card.expiryDate;
    if (card.group !== undefined) info.parentIdTag = card.group;
    return info;
  }

  /** OCPP 2.0.1 IdTokenInfoType; the group travels as groupIdToken. */
  private idTokenInfo(status = 'Accepted'): Record<string, unknown> {
    if (status !== 'Accepted') return { status };
    const card = this.card;
    const info: Record<string, unknown> = { status };
    if (card.expiryDate !== undefined) info.cacheExpiryDateTime = card.expiryDate;
    if (card.group !== undefined) info.groupIdToken = { idToken: card.group, type: 'Central' };
    return info;
  }

  // ---------------------------------------------------------------- OCPP 1.6

  private startTransaction(at: number): TrafficRecord {
    return this.call(
      at,
      'StartTransaction',
      { connectorId: this.connector.id, idTag: this.idTag, meterStart: this.meterStartWh, timestamp: this.stationTime(at) },
      this.tokenSubjects,
      true,
      EXCHANGE_START,
    );
  }

  private startTransactionConf(at: number): TrafficRecord {
    return this.result(
      at,
      EXCHANGE_START,
      'StartTransaction',
      { idTagInfo: this.idTagInfo(), transactionId: this.transactionId16 },
      this.groupSubjects,
    );
  }

  /**
   * OCPP 1.6 MeterValues.req, the most frequent message of the stream: written as a template (every value is a
   * number or a fixed enum string, nothing needs escaping). Same fields as energySample16.
   */
  private meterValues(at: number): TrafficRecord {
    const wh = this.energyAt(at);
    const register = this.meterStartWh + wh;
    const energy = this.station.kwhUnits
      ? `{"value":"${(register / 1000).toFixed(3)}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"kWh"}`
      : `{"value":"${Math.round(register)}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"}`;
    const soc =
      this.connector.powerType === 'DC'
        ? `,{"value":"${this.socAt(wh)}","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"}`
        : '';
    const power =
      at < this.chargeEnd && this.station.index % 3 === 0
        ? `,{"value":"${Math.round(this.powerW)}","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"}`
        : '';
    const payload = `{"connectorId":${this.connector.id},"transactionId":${this.transactionId16},"meterValue":[{"timestamp":"${this.stationTime(at)}","sampledValue":[${energy}${soc}${power}]}]}`;
    return this.call(at, 'MeterValues', payload, this.plainSubjects);
  }

  private energySample16(registerWh: number, context: string): Record<string, unknown> {
    return this.station.kwhUnits
      ? { value: (registerWh / 1000).toFixed(3), context, measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'kWh' }
      : { value: String(Math.round(registerWh)), context, measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' };
  }

  private stopTransaction(at: number): TrafficRecord {
    const rng = this.host.rng;
    const meterStop = this.meterStartWh + Math.round(this.energyWh);
    const payload: Record<string, unknown> = {};
    // The stopping idTag is optional; chargers send it when a card stopped the session and often otherwise.
    const withIdTag = this.stopMode === 'local' || rng.chance(0.6);
    if (withIdTag) payload.idTag = this.idTag;
    payload.meterStop = meterStop;
    payload.timestamp = this.stationTime(at);
    payload.transactionId = this.transactionId16;
    const reason = reason16(this.stopMode, rng);
    if (reason !== undefined) payload.reason = reason;
    if (this.station.eichrecht || rng.chance(0.25)) {
      const end: Record<string, unknown>[] = [this.energySample16(meterStop, 'Transaction.End')];
      if (this.station.eichrecht) {
        end.push({ value: this.ocmf(true), context: 'Transaction.End', format: 'SignedData' });
      }
      payload.transactionData = [
        { timestamp: isoSeconds(this.chargeStart), sampledValue: [this.energySample16(this.meterStartWh, 'Transaction.Begin')] },
        { timestamp: this.stationTime(at), sampledValue: end },
      ];
    }
    return this.call(at, 'StopTransaction', payload, withIdTag ? this.tokenSubjects : this.plainSubjects, true, EXCHANGE_STOP);
  }

  private stopTransactionConf(at: number): TrafficRecord {
    // idTagInfo is optional in StopTransaction.conf; CSMSs that check the stopping card return it.
    const withInfo = this.station.index % 2 === 0;
    return this.result(
      at,
      EXCHANGE_STOP,
      'StopTransaction',
      withInfo ? { idTagInfo: this.idTagInfo() } : {},
      withInfo ? this.groupSubjects : this.plainSubjects,
    );
  }

  // ---------------------------------------------------------------- OCPP 2.0.1

  /**
   * TransactionEvent Updated/MeterValuePeriodic, the most frequent 2.0.1 message: a template, like meterValues.
   * The general case below builds the same shape as an object.
   */
  private periodicTransactionEvent(at: number): TrafficRecord {
    const wh = this.energyAt(at);
    const register = this.meterStartWh + Math.round(wh);
    const seqNo = this.seqNo++;
    const stamp = this.stationTime(at);
    const energy = this.station.kwhUnits
      ? `{"value":${register / 1000},"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh"}}`
      : `{"value":${register},"context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}}`;
    const soc =
      this.connector.powerType === 'DC'
        ? `,{"value":${this.socAt(wh)},"context":"Sample.Periodic","measurand":"SoC","location":"EV","unitOfMeasure":{"unit":"Percent"}}`
        : '';
    const vendor = this.station.vendorCustomData;
    // Vendor blobs ride along in customData (open on every 2.0.1 type); ampseal drops them (design §6).
    const custom =
      vendor !== undefined && this.seqNo % 3 === 0
        ? `,"customData":{"vendorId":"${vendor}","pilotState":"C","connectorTemperature":${25 + (this.seqNo % 17)},"firmwareFlags":"x7"}`
        : '';
    const payload = `{"eventType":"Updated","timestamp":"${stamp}","triggerReason":"MeterValuePeriodic","seqNo":${seqNo},"transactionInfo":{"transactionId":"${this.transactionId201}"},"meterValue":[{"timestamp":"${stamp}","sampledValue":[${energy}${soc}]}]${custom}}`;
    return this.call(at, 'TransactionEvent', payload, this.plainSubjects);
  }

  private transactionEvent(at: number, eventType: 'Started' | 'Updated' | 'Ended', triggerReason: string): TrafficRecord {
    const payload: Record<string, unknown> = {
      eventType,
      timestamp: this.stationTime(at),
      triggerReason,
      seqNo: this.seqNo++,
    };
    const info: Record<string, unknown> = { transactionId: this.transactionId201 };
    let subjects = this.plainSubjects;
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
        if (triggerReason === 'RemoteStart') info.remoteStartId = this.remoteStartId;
        payload.idToken = this.idTokenObject;
        subjects = this.tokenSubjects;
        break;
      case 'ChargingStateChanged':
        if (eventType === 'Updated') info.chargingState = 'SuspendedEV';
        break;
      case 'StopAuthorized':
        payload.idToken = this.idTokenObject;
        subjects = this.tokenSubjects;
        break;
      default:
        break;
    }
    if (eventType === 'Ended') {
      info.chargingState = 'Idle';
      info.timeSpentCharging = Math.round((Math.min(at, this.chargeEnd) - this.chargeStart) / SECOND);
      info.stoppedReason = triggerReason === 'Deauthorized' ? 'DeAuthorized' : reason201(this.stopMode, this.host.rng);
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
      payload.meterValue = [this.meterValue201(at, eventType, triggerReason)];
    }
    if (eventType === 'Started' && this.connector.powerType !== 'DC') payload.numberOfPhasesUsed = this.connector.powerType === 'AC_1_PHASE' ? 1 : 3;
    const vendor = this.station.vendorCustomData;
    if (vendor !== undefined && eventType === 'Updated' && this.seqNo % 3 === 0) {
      // Vendor blobs ride along in customData (open on every 2.0.1 type); ampseal drops them (design §6).
      payload.customData = { vendorId: vendor, pilotState: 'C', connectorTemperature: 25 + (this.seqNo % 17), firmwareFlags: 'x7' };
    }
    // The start exchange is the event that carries the idToken: its response returns idTokenInfo.
    const exchange = eventType === 'Ended' ? EXCHANGE_STOP : payload.idToken !== undefined ? EXCHANGE_START : -1;
    return this.call(at, 'TransactionEvent', payload, subjects, withFleet, exchange);
  }

  private meterValue201(at: number, eventType: string, triggerReason: string): Record<string, unknown> {
    const begin = triggerReason === 'Authorized' || triggerReason === 'RemoteStart';
    const context = begin ? 'Transaction.Begin' : eventType === 'Ended' ? 'Transaction.End' : 'Sample.Periodic';
    const wh = begin ? 0 : this.energyAt(at);
    const register = this.meterStartWh + Math.round(wh);
    const sampled: Record<string, unknown>[] = [
      this.station.kwhUnits
        ? { value: register / 1000, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }
        : { value: register, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } },
    ];
    if (this.connector.powerType === 'DC') {
      sampled.push({ value: this.socAt(wh), context, measurand: 'SoC', location: 'EV', unitOfMeasure: { unit: 'Percent' } });
    }
    if (eventType === 'Ended' && this.station.eichrecht && this.station.meterPublicKey !== undefined) {
      sampled[0]!.signedMeterValue = {
        signedMeterData: Buffer.from(this.ocmf(true)).toString('base64'),
        signingMethod: 'ECDSA-secp256r1-SHA256',
        encodingMethod: 'OCMF',
        publicKey: this.station.meterPublicKey,
      };
    }
    return { timestamp: this.stationTime(at), sampledValue: sampled };
  }

  private transactionEventConf(at: number, started: boolean): TrafficRecord {
    if (started) return this.result(at, EXCHANGE_START, 'TransactionEvent', { idTokenInfo: this.idTokenInfo() }, this.groupSubjects);
    const cost = Math.round((this.energyWh / 1000) * this.pricePerKwh * (1 + this.vat) * 100) / 100;
    return this.result(at, EXCHANGE_STOP, 'TransactionEvent', { totalCost: cost }, this.plainSubjects);
  }

  // ---------------------------------------------------------------- OCPI 2.2.1

  private cdrToken(): Record<string, unknown> {
    const card = this.card;
    return {
      country_code: card.issuer.countryCode,
      party_id: card.issuer.partyId,
      uid: this.ocpiUid,
      type: card.ocpiType,
      contract_id: card.contractId,
    };
  }

  private ocpiSubjects(withDevice: boolean): readonly TrafficSubject[] {
    const index = withDevice ? 1 : 0;
    const cached = this.ocpiSubjectLists[index];
    if (cached !== undefined) return cached;
    const subjects: TrafficSubject[] = [
      { kind: 'uid', raw: this.ocpiUid },
      { kind: 'emaid', raw: this.card.contractId },
    ];
    if (this.authorizationReference !== undefined) subjects.push({ kind: 'authref', raw: this.authorizationReference });
    if (this.station.eichrecht) subjects.push({ kind: 'device', raw: this.station.meterSerialNumber });
    if (withDevice && this.station.meterPublicKey !== undefined) subjects.push({ kind: 'device', raw: this.station.meterPublicKey });
    for (const subject of this.plainSubjects) subjects.push(subject);
    this.ocpiSubjectLists[index] = Object.freeze(subjects);
    return subjects;
  }

  private token(at: number): TrafficRecord {
    const card = this.card;
    const object: Record<string, unknown> = {
      country_code: card.issuer.countryCode,
      party_id: card.issuer.partyId,
      uid: this.ocpiUid,
      type: card.ocpiType,
      contract_id: card.contractId,
      visual_number: card.visualNumber,
      issuer: card.issuer.name,
      valid: true,
      whitelist: card.ocpiType === 'APP_USER' ? 'NEVER' : 'ALLOWED',
      language: card.issuer.countryCode === 'DE' ? 'de' : 'nl',
      last_updated: isoSeconds(at - 3 * SECOND),
    };
    const subjects: TrafficSubject[] = [
      { kind: 'uid', raw: this.ocpiUid },
      { kind: 'emaid', raw: card.contractId },
      { kind: 'visual', raw: card.visualNumber },
    ];
    if (card.group !== undefined) {
      object.group_id = card.group;
      subjects.push({ kind: 'group', raw: card.group });
    }
    return ocpiObject(this.host.tenant, 'tokens', this.ocpiUid, at, JSON.stringify(object), subjects);
  }

  /**
   * A full OCPI Session object (the CPO PUTs the whole object on each update here, so every record validates as
   * a complete Session). The members that never change are stringified once per session; the moving ones are
   * numbers, RFC 3339 strings and enum values, appended as text.
   */
  private ocpiSession(at: number, status: 'PENDING' | 'ACTIVE' | 'COMPLETED'): TrafficRecord {
    const cpo = this.host.cpo;
    if (this.ocpiFixed === '') {
      const fixed: Record<string, unknown> = { cdr_token: this.cdrToken(), auth_method: this.authMethod };
      if (this.authorizationReference !== undefined) fixed.authorization_reference = this.authorizationReference;
      fixed.location_id = this.station.location.id;
      fixed.evse_uid = this.connector.evseUid;
      fixed.connector_id = '1';
      if (this.station.eichrecht) fixed.meter_id = this.station.meterSerialNumber;
      fixed.currency = 'EUR';
      const json = JSON.stringify(fixed);
      this.ocpiFixed = json.slice(1, -1);
    }
    const charging = status !== 'PENDING' && at > this.chargeStart;
    const wh = charging ? this.energyAt(at) : 0;
    const start = isoSeconds(status === 'PENDING' ? at : this.chargeStart);
    const end = status === 'COMPLETED' ? `,"end_date_time":"${isoSeconds(this.stopAt)}"` : '';
    const progress =
      wh > 0
        ? `,"charging_periods":${JSON.stringify(this.chargingPeriods(at))},"total_cost":${JSON.stringify(this.price(wh))}`
        : '';
    const object = `{"country_code":"${cpo.countryCode}","party_id":"${cpo.partyId}","id":"${this.ocpiSessionId}","start_date_time":"${start}"${end},"kwh":${round3(wh / 1000)},${this.ocpiFixed}${progress},"status":"${status}","last_updated":"${isoSeconds(at)}"}`;
    return ocpiObject(this.host.tenant, 'sessions', this.ocpiSessionId, at, object, this.ocpiSubjects(false), this.fleet);
  }

  private cdr(at: number): TrafficRecord {
    const cpo = this.host.cpo;
    const station = this.station;
    const connector = this.connector;
    const location = station.location;
    const rng = this.host.rng;
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

    const chargingHours = (this.chargeEnd - this.chargeStart) / HOUR;
    const totalHours = (this.stopAt - this.chargeStart) / HOUR;
    const parkingHours = totalHours - chargingHours;
    const object: Record<string, unknown> = {
      country_code: cpo.countryCode,
      party_id: cpo.partyId,
      id: this.cdrId,
      start_date_time: isoSeconds(this.chargeStart),
      end_date_time: isoSeconds(this.stopAt),
      session_id: this.ocpiSessionId,
      cdr_token: this.cdrToken(),
      auth_method: this.authMethod,
    };
    if (this.authorizationReference !== undefined) object.authorization_reference = this.authorizationReference;
    object.cdr_location = cdrLocation;
    if (station.eichrecht) object.meter_id = station.meterSerialNumber;
    object.currency = 'EUR';
    if (rng.chance(0.2)) object.tariffs = [this.tariff(at)];
    object.charging_periods = this.chargingPeriods(this.stopAt);
    const signed = station.eichrecht && station.meterPublicKey !== undefined && rng.chance(0.7);
    if (signed) {
      object.signed_data = {
        encoding_method: 'OCMF',
        encoding_method_version: 1,
        public_key: station.meterPublicKey,
        signed_values: [
          { nature: 'Start', plain_data: this.ocmfPayload(false), signed_data: this.signature(rng) },
          { nature: 'End', plain_data: this.ocmfPayload(true), signed_data: this.signature(rng) },
        ],
      };
    }
    const total = this.price(this.energyWh);
    object.total_cost = total;
    object.total_energy = round3(this.energyWh / 1000);
    object.total_energy_cost = total;
    object.total_time = round3(totalHours);
    if (parkingHours > 0.01) object.total_parking_time = round3(parkingHours);
    // Employer-paid home charging: the eMSP reimburses the driver (pii-catalog: the CDR then points at a home).
    if (station.home) object.home_charging_compensation = true;
    else if (rng.chance(0.1)) object.home_charging_compensation = false;
    object.last_updated = isoSeconds(at);
    return ocpiObject(this.host.tenant, 'cdrs', this.cdrId, at, JSON.stringify(object), this.ocpiSubjects(signed), this.fleet);
  }

  private chargingPeriods(at: number): Record<string, unknown>[] {
    const wh = this.energyAt(at);
    const chargingEnd = Math.min(at, this.chargeEnd);
    const dimensions: Record<string, unknown>[] = [
      { type: 'ENERGY', volume: round3(wh / 1000) },
      { type: 'TIME', volume: round3((chargingEnd - this.chargeStart) / HOUR) },
    ];
    if (this.connector.powerType === 'DC') dimensions.push({ type: 'STATE_OF_CHARGE', volume: this.socAt(wh) });
    const periods: Record<string, unknown>[] = [
      { start_date_time: isoSeconds(this.chargeStart), dimensions, tariff_id: this.tariffId() },
    ];
    if (at > this.chargeEnd + MINUTE) {
      periods.push({
        start_date_time: isoSeconds(this.chargeEnd),
        dimensions: [{ type: 'PARKING_TIME', volume: round3((Math.min(at, this.stopAt) - this.chargeEnd) / HOUR) }],
        tariff_id: this.tariffId(),
      });
    }
    return periods;
  }

  private tariffId(): string {
    return `${this.station.dc ? 'DC' : 'AC'}-${this.station.index % 5}`;
  }

  private tariff(at: number): Record<string, unknown> {
    const cpo = this.host.cpo;
    return {
      country_code: cpo.countryCode,
      party_id: cpo.partyId,
      id: this.tariffId(),
      currency: 'EUR',
      type: 'REGULAR',
      elements: [{ price_components: [{ type: 'ENERGY', price: this.pricePerKwh, vat: this.vat * 100, step_size: 1 }] }],
      last_updated: isoSeconds(at - 30 * 24 * HOUR),
    };
  }

  private price(wh: number): Record<string, unknown> {
    const excl = Math.round((wh / 1000) * this.pricePerKwh * 100) / 100;
    return { excl_vat: excl, incl_vat: Math.round(excl * (1 + this.vat) * 100) / 100 };
  }

  // ---------------------------------------------------------------- signed meter data (OCMF)

  /** The OCMF payload section `OCMF|{...}` (OCMF 1.0): embeds the card (ID), meter (MS) and gateway (GS). */
  private ocmfPayload(end: boolean): string {
    const station = this.station;
    const card = this.card;
    const startKwh = round3(this.meterStartWh / 1000);
    const readings: Record<string, unknown>[] = [
      { TM: ocmfTime(this.chargeStart), TX: 'B', RV: startKwh, RI: '01-00:98.08.00.FF', RU: 'kWh', ST: 'G' },
    ];
    if (end) {
      readings.push({
        TM: ocmfTime(this.stopAt),
        TX: 'E',
        RV: round3((this.meterStartWh + this.energyWh) / 1000),
        RI: '01-00:98.08.00.FF',
        RU: 'kWh',
        ST: 'G',
      });
    }
    const identification =
      card.type === 'emaid' ? 'EMAID' : card.type === 'app' ? 'CENTRAL' : card.type === 'autocharge' ? 'EVCCID' : 'ISO14443';
    return `OCMF|${JSON.stringify({
      FV: '1.0',
      GI: station.model,
      GS: station.serialNumber,
      GV: station.firmwareVersion,
      PG: `T${this.seqNo + 1}`,
      MS: station.meterSerialNumber,
      IS: true,
      IT: identification,
      ID: card.type === 'autocharge' ? (card.mac ?? card.idToken) : card.idToken,
      RD: readings,
    })}`;
  }

  private ocmf(end: boolean): string {
    return `${this.ocmfPayload(end)}|{"SA":"ECDSA-secp256r1-SHA256","SD":"${this.signature(this.host.rng)}"}`;
  }

  /** An ECDSA-P256 DER signature's shape (hex); never verified by anyone downstream of the generator. */
  private signature(rng: Random): string {
    return `30440220${rng.hex(64)}0220${rng.hex(64)}`;
  }

  // ---------------------------------------------------------------- energy model

  private energyAt(at: number): number {
    if (at <= this.chargeStart) return 0;
    return Math.min(this.energyWh, (this.powerW * (at - this.chargeStart)) / HOUR);
  }

  private socAt(wh: number): number {
    return Math.round(this.socStart + ((this.socEnd - this.socStart) * wh) / this.energyWh);
  }
}

function byTime(a: Step, b: Step): number {
  return a.at - b.at;
}

function pickMode(rng: Random, departed: number, local: number, remote: number, soc: number): StopMode {
  const x = rng.float();
  if (x < departed) return 'departed';
  if (x < departed + local) return 'local';
  if (x < departed + local + remote) return 'remote';
  if (x < departed + local + remote + soc) return 'soc';
  return 'other';
}

function reason16(mode: StopMode, rng: Random): string | undefined {
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
      return rng.pick(OTHER_REASON_16);
  }
}

function reason201(mode: StopMode, rng: Random): string {
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
      return rng.pick(OTHER_REASON_201);
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

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
