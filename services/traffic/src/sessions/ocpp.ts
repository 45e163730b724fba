import type { Card, Connector, Station } from '../population';
import { CALL, CALLRESULT, NO_SUBJECTS, ocppRecord, type TrafficRecord, type TrafficSubject } from '../record';
import { stationTimestamp } from '../time';
import type { Session, SessionHost } from './session';
import type { StepKind } from './steps';

/**
 * The station's side of one session over OCPP-J, whichever version: message ids, CALLRESULTs paired with their
 * CALL, the station's clock. ocpp16.ts and ocpp201.ts write the frames of each step.
 */

export const EXCHANGE_AUTHORIZE = 0;
export const EXCHANGE_START = 1;
export const EXCHANGE_STOP = 2;

export abstract class OcppSession {
  /**
   * The OCPP 2.0.1 TransactionEvent seqNo; 1.6 has no such counter and it stays 0. The OCMF pagination (PG) of
   * the signed meter data follows it.
   */
  seqNo = 0;
  /**
   * The transaction starts when the cable is plugged in (2.0.1 TxStartPoint EVConnected), before anyone is
   * authorized: a rejected card then ends it (Deauthorized).
   */
  abstract readonly startsOnPlugIn: boolean;
  /**
   * Charging and Finishing are connector statuses (1.6 StatusNotification); 2.0.1 carries the charging state in
   * TransactionEvents and its connector stays Occupied.
   */
  abstract readonly sendsChargingStatuses: boolean;

  protected readonly session: Session;
  protected readonly host: SessionHost;
  protected readonly station: Station;
  protected readonly connector: Connector;
  /**
   * Message id of the last CALL per exchange (Authorize, start, stop), so a CALLRESULT pairs with its own CALL
   * even when another frame of the session (a 2.0.1 plug-in event) lands in between.
   */
  private readonly exchangeIds: string[] = ['', '', ''];

  constructor(session: Session) {
    this.session = session;
    this.host = session.host;
    this.station = session.station;
    this.connector = session.connector;
  }

  /** The record of an OCPP step that is due (see steps.ts); undefined for a step this version never plans. */
  abstract frame(kind: StepKind, at: number): TrafficRecord | undefined;

  /** The station's clock: the frame was sent one network hop (20–600 ms) before the platform received it. */
  protected stationTime(at: number): string {
    return stationTimestamp(this.station.protocol, at - this.host.rng.int(20, 600));
  }

  /** `payload` as an object, or as JSON text for the templated hot messages. */
  protected call(
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
    return ocppRecord(CALL, this.host.tenant, this.station, at, messageId, action, json, subjects, withFleet ? this.session.fleet : '');
  }

  protected result(
    at: number,
    exchange: number,
    action: string,
    payload: Record<string, unknown>,
    subjects: readonly TrafficSubject[],
  ): TrafficRecord {
    const messageId = this.exchangeIds[exchange]!;
    return ocppRecord(CALLRESULT, this.host.tenant, this.station, at, messageId, action, JSON.stringify(payload), subjects, this.session.fleet);
  }

  /** This version's StatusNotification payload. */
  protected abstract readonly statusNotification: (connectorId: number, status: string, timestamp: string) => Record<string, unknown>;

  protected status(at: number, status: string, subjects: readonly TrafficSubject[]): TrafficRecord {
    // Before authorization nobody knows whose car it is: no fleet ids on the first status.
    const withFleet = subjects !== NO_SUBJECTS;
    return this.call(at, 'StatusNotification', this.statusNotification(this.connector.id, status, this.stationTime(at)), subjects, withFleet);
  }

  /** Who the Authorize response names: the group too when the card was accepted. */
  protected authorizeSubjects(): readonly TrafficSubject[] {
    return this.session.rejected === undefined ? this.session.groupSubjects : this.session.plainSubjects;
  }
}

/** The card's id as this station writes it: some firmware sends RFID UIDs in lower case. */
export function stationSpelling(id: string, card: Card, station: Station): string {
  return station.lowerCaseIdTags && (card.type === 'rfid7' || card.type === 'rfid4') ? id.toLowerCase() : id;
}
