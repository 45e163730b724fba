import type { Card, Connector, Party, Station } from '../population';
import type { Random } from '../random';
import { fleetJson, fleetSubjects, type TrafficRecord, type TrafficSubject } from '../record';
import type { Scheduled } from '../schedule';
import { HOUR, MINUTE, SECOND } from '../time';
import { OcpiReport, tokenRecord } from './ocpi';
import type { OcppSession } from './ocpp';
import { Ocpp16Session } from './ocpp16';
import { Ocpp201Session } from './ocpp201';
import { Step, type StepKind, type StopMode } from './steps';

/**
 * One charging session from plug-in to CDR, as the CPO's raw topics see it: the OCPP frames of the station
 * (1.6J or 2.0.1) and, for cards issued by another eMSP, the OCPI Session updates and the final CDR the CPO
 * reports to that eMSP. The whole timeline is planned when the EV plugs in (times only, a few dozen steps);
 * each record is built when its step comes due, so ids, meter readings and timestamps stay consistent and
 * monotonic while many sessions interleave on the topic. This module decides what happens and when; the
 * protocol modules (ocpp16.ts, ocpp201.ts, ocpi.ts) write it.
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

interface PlannedStep {
  readonly at: number;
  readonly kind: StepKind;
}

/** At most 40 samples: a long AC session stretches its interval (about one every 15–20 min over 12 h). */
const MAX_METER_VALUES = 40;

/** How long the driver takes to unplug after the stop, by how the session ended: [min, max, unit]. */
const UNPLUG_DELAYS: Readonly<Record<StopMode, readonly [number, number, number]>> = {
  departed: [1, 4, SECOND],
  local: [10, 180, SECOND],
  remote: [20, 300, SECOND],
  soc: [1, 10, MINUTE],
  other: [1, 30, MINUTE],
};

/**
 * The session's facts, read by the protocol modules. The timeline fields (chargeStart, chargeEnd, stopAt) are
 * set once, by the plan in the constructor.
 */
export class Session implements Scheduled {
  at = 0;
  order = 0;
  done = false;

  readonly host: SessionHost;
  readonly card: Card;
  readonly station: Station;
  readonly connector: Connector;

  // The card's fleet ids, on every record after authorization.
  readonly fleet: string;
  readonly plainSubjects: readonly TrafficSubject[];
  /** With the card's group, for the frames that return it (idTagInfo, idTokenInfo). */
  readonly groupSubjects: readonly TrafficSubject[];

  // Outcome.
  /** The authorization status of a rejected card; undefined when it was accepted. */
  readonly rejected?: string;
  readonly stopMode: StopMode;
  readonly remoteStartId: number = 0;

  // Energy model: constant power from chargeStart until the target is met, then idle until the stop.
  readonly meterStartWh: number;
  readonly powerW: number;
  readonly energyWh: number;
  chargeStart = 0;
  chargeEnd = 0;
  stopAt = 0;
  private readonly socStart: number;
  private readonly socEnd: number;
  // The station's energy tariff.
  readonly pricePerKwh: number;
  readonly vat: number;

  readonly ocpp: OcppSession;
  /** Roaming cards only, and only when accepted. */
  readonly ocpi?: OcpiReport;

  private readonly steps: PlannedStep[] = [];
  private next = 0;

  constructor(host: SessionHost, card: Card, station: Station, connector: Connector, at: number, meterStartWh: number) {
    // The order of the draws below is part of the output: the same seed must give the same records.
    const rng = host.rng;
    this.host = host;
    this.card = card;
    this.station = station;
    this.connector = connector;
    this.meterStartWh = meterStartWh;
    const v201 = station.protocol === 'ocpp2.0.1';
    const app = card.type === 'app';
    const dc = connector.powerType === 'DC';

    const fleet = fleetSubjects(card.fleet);
    this.fleet = fleetJson(card.fleet);
    this.plainSubjects = fleet;
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
    if (authorizes && rng.chance(0.025)) this.rejected = rng.pick(v201 ? Ocpp201Session.REJECTIONS : Ocpp16Session.REJECTIONS);
    this.stopMode = app
      ? rng.chance(0.6) ? 'remote' : 'departed'
      : dc
        ? pickMode(rng, 0.15, 0.35, 0.0, 0.45)
        : pickMode(rng, 0.6, 0.31, 0.05, 0.0);

    // --- the protocols' ids ---
    this.ocpp = v201 ? new Ocpp201Session(this) : new Ocpp16Session(this);
    if (app) this.remoteStartId = host.nextRemoteStartId();
    if (card.roaming && this.rejected === undefined) this.ocpi = new OcpiReport(this);

    this.plan(at, rng, app, dc);
    this.steps.sort(byTime);
    this.at = this.steps[0]!.at;
  }

  /** Builds the record of the step that is due and moves to the next one. */
  step(): TrafficRecord | undefined {
    const step = this.steps[this.next++]!;
    const record = this.emit(step);
    if (this.next < this.steps.length) this.at = this.steps[this.next]!.at;
    else this.done = true;
    return record;
  }

  energyAt(at: number): number {
    if (at <= this.chargeStart) return 0;
    return Math.min(this.energyWh, (this.powerW * (at - this.chargeStart)) / HOUR);
  }

  /** DC only: the EV reports its state of charge, rising with the energy delivered. */
  socAt(wh: number): number {
    return Math.round(this.socStart + ((this.socEnd - this.socStart) * wh) / this.energyWh);
  }

  private add(at: number, kind: StepKind): void {
    this.steps.push({ at: Math.round(at), kind });
  }

  private plan(at: number, rng: Random, app: boolean, dc: boolean): void {
    const card = this.card;
    const station = this.station;
    const ocpp = this.ocpp;
    const roaming = this.ocpi !== undefined;
    let t = at;
    if (card.roaming && this.host.firstSight(card)) {
      this.add(t, Step.TOKEN);
      t += rng.range(1, 30) * SECOND;
    }
    this.add(t, Step.PLUG);
    const plugTx = ocpp.startsOnPlugIn && !app;
    if (plugTx) this.add(t + rng.range(300, 2000), Step.PLUG_TX);

    let startAt: number;
    if (app) {
      const remote = t + rng.range(20, 120) * SECOND;
      this.add(remote, Step.REMOTE);
      if (roaming && rng.chance(0.3)) this.add(remote + rng.range(200, 900), Step.OCPI_PENDING);
      startAt = remote + rng.range(1.5, 6) * SECOND;
    } else {
      const quick = card.type === 'autocharge' || card.type === 'emaid';
      const authorize = t + (quick ? rng.range(1.5, 6) : rng.range(4, 40)) * SECOND;
      const conf = authorize + rng.range(120, 1200);
      this.add(authorize, Step.AUTHORIZE);
      this.add(conf, Step.AUTHORIZE_CONF);
      if (this.rejected !== undefined) {
        const end = conf + rng.range(3, 20) * SECOND;
        if (plugTx) this.add(end, Step.DEAUTHORIZED);
        this.add(end + rng.range(30, 300) * SECOND, Step.UNPLUG);
        return;
      }
      if (roaming && rng.chance(0.3)) this.add(conf + rng.range(200, 900), Step.OCPI_PENDING);
      startAt = conf + rng.range(0.8, 4) * SECOND;
    }
    const startConf = startAt + rng.range(100, 900);
    this.add(startAt, Step.START);
    this.add(startConf, Step.START_CONF);
    if (ocpp.sendsChargingStatuses) this.add(startConf + rng.range(500, 2500), Step.CHARGING);
    if (roaming) this.add(startConf + rng.range(2, 20) * SECOND, Step.OCPI_ACTIVE);

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
      this.add(mv, Step.METER);
      if (roaming && j % every === 0) {
        const update = mv + rng.range(2, 20) * SECOND;
        if (update < this.stopAt) this.add(update, Step.OCPI_ACTIVE);
      }
    }
    if (idle > 2 * MINUTE) this.add(this.chargeEnd + rng.range(0, 5000), Step.SUSPENDED);

    this.add(this.stopAt, Step.STOP);
    this.add(this.stopAt + rng.range(100, 900), Step.STOP_CONF);
    const [min, max, unit] = UNPLUG_DELAYS[this.stopMode];
    const unplugDelay = rng.range(min, max) * unit;
    if (ocpp.sendsChargingStatuses && this.stopMode !== 'departed') this.add(this.stopAt + rng.range(1000, 2500), Step.FINISHING);
    this.add(this.stopAt + unplugDelay, Step.UNPLUG);
    if (roaming) {
      this.add(this.stopAt + rng.range(5, 60) * SECOND, Step.OCPI_COMPLETED);
      this.add(this.stopAt + rng.range(1, 15) * MINUTE, Step.CDR);
    }
  }

  private emit(step: PlannedStep): TrafficRecord | undefined {
    const at = step.at;
    switch (step.kind) {
      case Step.TOKEN:
        return tokenRecord(this.host.tenant, this.card, at);
      case Step.UNPLUG: {
        const delivered = this.rejected === undefined ? Math.round(this.energyWh) : 0;
        // Before the record: freeing the connector draws the next arrival from the same random stream.
        this.host.unplugged(this, this.meterStartWh + delivered);
        return this.ocpp.frame(Step.UNPLUG, at);
      }
      case Step.OCPI_PENDING:
        return this.ocpi!.sessionRecord(at, 'PENDING');
      case Step.OCPI_ACTIVE:
        return this.ocpi!.sessionRecord(at, 'ACTIVE');
      case Step.OCPI_COMPLETED:
        return this.ocpi!.sessionRecord(at, 'COMPLETED');
      case Step.CDR:
        return this.ocpi!.cdrRecord(at);
      default:
        return this.ocpp.frame(step.kind, at);
    }
  }
}

function byTime(a: PlannedStep, b: PlannedStep): number {
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
