import type { Random } from '../random';
import { ocmfTime } from '../time';
import type { Session } from './session';

/**
 * Signed meter data (OCMF 1.0) of Eichrecht stations: in the 1.6 StopTransaction, the 2.0.1 Ended event and the
 * OCPI CDR. It embeds the card (ID), the meter (MS) and the gateway (GS): ampseal must drop it whole, never
 * pass it through.
 */

/** The OCMF payload section `OCMF|{...}`: the start reading, and the end reading once the session stopped. */
export function ocmfPayload(session: Session, end: boolean): string {
  const station = session.station;
  const card = session.card;
  const startKwh = round3(session.meterStartWh / 1000);
  const readings: Record<string, unknown>[] = [
    { TM: ocmfTime(session.chargeStart), TX: 'B', RV: startKwh, RI: '01-00:98.08.00.FF', RU: 'kWh', ST: 'G' },
  ];
  if (end) {
    readings.push({
      TM: ocmfTime(session.stopAt),
      TX: 'E',
      RV: round3((session.meterStartWh + session.energyWh) / 1000),
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
    PG: `T${session.ocpp.seqNo + 1}`,
    MS: station.meterSerialNumber,
    IS: true,
    IT: identification,
    ID: card.type === 'autocharge' ? (card.mac ?? card.idToken) : card.idToken,
    RD: readings,
  })}`;
}

/** The whole OCMF text as stations send it: payload section and signature section. */
export function ocmf(session: Session, end: boolean): string {
  return `${ocmfPayload(session, end)}|{"SA":"ECDSA-secp256r1-SHA256","SD":"${signature(session.host.rng)}"}`;
}

/** An ECDSA-P256 DER signature's shape (hex); never verified by anyone downstream of the generator. */
export function signature(rng: Random): string {
  return `30440220${rng.hex(64)}0220${rng.hex(64)}`;
}

/** kWh and hours to three decimals, as meters and OCPI write them. */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
