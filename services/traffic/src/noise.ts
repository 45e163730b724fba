import { type Card, type Station, vendorNamespace } from './population';
import type { Random } from './random';
import { CALL, CALLRESULT, NO_SUBJECTS, ocppRecord, type TrafficRecord, type TrafficSubject } from './record';
import type { Scheduled } from './schedule';
import { statusNotification16 } from './sessions/ocpp16';
import { statusNotification201 } from './sessions/ocpp201';
import { isoMillis, SECOND, stationTimestamp } from './time';

/**
 * What a station says when nobody is charging: Heartbeats (most of it), re-sent StatusNotifications, vendor
 * DataTransfers and the odd reboot with its BootNotification (modem ICCID/IMSI, serial numbers: device
 * identifiers). One flow per station, forever; a real CPO topic is full of this.
 */

export interface NoiseHost {
  readonly tenant: string;
  readonly rng: Random;
  messageId(station: Station): string;
  connectorBusy(slot: number): boolean;
  /** Any card of the population (DataTransfer blobs quote card ids too). */
  randomCard(): Card;
}

const NONE = 0;
const HEARTBEAT_CONF = 1;
const DATA_TRANSFER_CONF = 2;

const HEARTBEAT = '{}';
const BOOT_REASONS_201 = ['PowerUp', 'PowerUp', 'Watchdog', 'RemoteReset', 'FirmwareUpdate', 'ScheduledReset'] as const;

export class StationChatter implements Scheduled {
  at: number;
  order = 0;
  /** Stations never stop talking. */
  readonly done = false;

  private readonly host: NoiseHost;
  private readonly station: Station;
  private pending = NONE;
  private pendingId = '';
  private regular: number;

  constructor(host: NoiseHost, station: Station, start: number) {
    this.host = host;
    this.station = station;
    this.regular = start + host.rng.float() * station.heartbeatIntervalS * SECOND;
    this.at = Math.round(this.regular);
  }

  step(): TrafficRecord {
    const rng = this.host.rng;
    if (this.pending !== NONE) {
      const record = this.pending === HEARTBEAT_CONF ? this.heartbeatConf() : this.dataTransferConf();
      this.pending = NONE;
      this.at = Math.max(this.at + 1, Math.round(this.regular));
      return record;
    }
    const x = rng.float();
    let record: TrafficRecord;
    if (x < 0.87) record = this.heartbeat();
    else if (x < 0.93) record = this.statusNotification() ?? this.heartbeat();
    else if (x < 0.985) record = this.dataTransfer();
    else record = this.bootNotification();
    this.regular += this.station.heartbeatIntervalS * SECOND * rng.range(0.97, 1.03);
    this.at = this.pending !== NONE ? this.at + rng.int(80, 900) : Math.round(this.regular);
    return record;
  }

  private call(action: string, payload: Record<string, unknown> | string, subjects: readonly TrafficSubject[] = NO_SUBJECTS): TrafficRecord {
    this.pendingId = this.host.messageId(this.station);
    const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return ocppRecord(CALL, this.host.tenant, this.station, this.at, this.pendingId, action, json, subjects);
  }

  private heartbeat(): TrafficRecord {
    if (this.station.logsHeartbeatConf) this.pending = HEARTBEAT_CONF;
    return this.call('Heartbeat', HEARTBEAT);
  }

  private heartbeatConf(): TrafficRecord {
    return ocppRecord(CALLRESULT, this.host.tenant, this.station, this.at, this.pendingId, 'Heartbeat', `{"currentTime":"${isoMillis(this.at)}"}`, NO_SUBJECTS);
  }

  /** A re-sent status of a free connector (after a TriggerMessage or a reconnect); undefined if all are busy. */
  private statusNotification(): TrafficRecord | undefined {
    const station = this.station;
    const timestamp = stationTimestamp(station.protocol, this.at - 150);
    if (station.protocol === 'ocpp1.6' && this.host.rng.chance(0.3)) {
      // Connector 0 is the charge point as a whole (OCPP 1.6 §4.9).
      return this.call('StatusNotification', statusNotification16(0, 'Available', timestamp));
    }
    const start = this.host.rng.int(0, station.connectors.length - 1);
    for (let i = 0; i < station.connectors.length; i++) {
      const connector = station.connectors[(start + i) % station.connectors.length]!;
      if (this.host.connectorBusy(connector.slot)) continue;
      return station.protocol === 'ocpp2.0.1'
        ? this.call('StatusNotification', statusNotification201(connector.id, 'Available', timestamp))
        : this.call('StatusNotification', statusNotification16(connector.id, 'Available', timestamp));
    }
    return undefined;
  }

  /**
   * Vendor extensions. Some quote a card id inside `data`: identifiers hidden in a blob (design §3), which
   * ampseal must drop, never pass through; such ids are not listed as subjects (they are not tokenized).
   */
  private dataTransfer(): TrafficRecord {
    const rng = this.host.rng;
    const station = this.station;
    const vendorId = vendorNamespace(station.vendor);
    this.pending = rng.chance(0.7) ? DATA_TRANSFER_CONF : NONE;
    const temperature = Math.round(rng.range(18, 55) * 10) / 10;
    const quoting = rng.chance(0.2);
    if (station.protocol === 'ocpp2.0.1') {
      const data = quoting
        ? { event: 'LocalAuthorization', idToken: this.host.randomCard().idToken, result: 'Accepted' }
        : { connector: 1, temperature, fanRpm: rng.int(800, 3200) };
      return this.call('DataTransfer', { vendorId, messageId: quoting ? 'AuthLog' : 'Diagnostics', data });
    }
    const data = quoting
      ? `{"idTag":"${this.host.randomCard().idTag}","result":"Accepted","offline":true}`
      : `{"connectorId":1,"temperature":${temperature}}`;
    return this.call('DataTransfer', { vendorId, messageId: quoting ? 'AuthLog' : 'ConnectorTemperature', data });
  }

  private dataTransferConf(): TrafficRecord {
    const status = this.host.rng.chance(0.9) ? 'Accepted' : 'UnknownMessageId';
    return ocppRecord(CALLRESULT, this.host.tenant, this.station, this.at, this.pendingId, 'DataTransfer', `{"status":"${status}"}`, NO_SUBJECTS);
  }

  private bootNotification(): TrafficRecord {
    const station = this.station;
    const subjects: TrafficSubject[] = [{ kind: 'device', raw: station.serialNumber }];
    if (station.iccid !== undefined && station.imsi !== undefined) {
      subjects.push({ kind: 'device', raw: station.iccid }, { kind: 'device', raw: station.imsi });
    }
    if (station.protocol === 'ocpp2.0.1') {
      const chargingStation: Record<string, unknown> = {
        serialNumber: station.serialNumber,
        model: station.model,
        vendorName: station.vendor,
        firmwareVersion: station.firmwareVersion,
      };
      if (station.iccid !== undefined) chargingStation.modem = { iccid: station.iccid, imsi: station.imsi };
      return this.call('BootNotification', { reason: this.host.rng.pick(BOOT_REASONS_201), chargingStation }, subjects);
    }
    const payload: Record<string, unknown> = {
      chargePointVendor: station.vendor,
      chargePointModel: station.model,
      chargePointSerialNumber: station.serialNumber,
      firmwareVersion: station.firmwareVersion,
    };
    if (station.iccid !== undefined) {
      payload.iccid = station.iccid;
      payload.imsi = station.imsi;
    }
    payload.meterType = station.meterType;
    payload.meterSerialNumber = station.meterSerialNumber;
    subjects.push({ kind: 'device', raw: station.meterSerialNumber });
    return this.call('BootNotification', payload, subjects);
  }
}
