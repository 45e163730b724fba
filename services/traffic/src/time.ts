/**
 * Timestamps as the peers write them. Date#toISOString costs ~470 ns in Node 20 and the generator writes two
 * per record, so the "YYYY-MM-DDTHH:MM:" prefix is cached per minute: simulated time moves forward in small
 * steps, and the seconds and milliseconds are cheap to append.
 */

// Direct-mapped, 4 slots: OCPI objects also quote the session start (minutes or hours back), and one slot
// would thrash between that and the current minute.
const cachedMinutes = [Number.NaN, Number.NaN, Number.NaN, Number.NaN];
const cachedPrefixes = ['', '', '', ''];

function minutePrefix(minute: number): string {
  const slot = minute & 3;
  if (cachedMinutes[slot] !== minute) {
    cachedMinutes[slot] = minute;
    cachedPrefixes[slot] = new Date(minute * 60_000).toISOString().slice(0, 17);
  }
  return cachedPrefixes[slot]!;
}

/** RFC 3339 with milliseconds, UTC (= Date#toISOString): the envelope's receivedAt, OCPP 2.0.1 timestamps. */
export function isoMillis(ms: number): string {
  const t = Math.floor(ms);
  const minute = Math.floor(t / 60_000);
  const rest = t - minute * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${minutePrefix(minute)}${seconds < 10 ? '0' : ''}${seconds}.${millis < 100 ? (millis < 10 ? '00' : '0') : ''}${millis}Z`;
}

/** RFC 3339 to the second, UTC: OCPP 1.6 stations and OCPI DateTime (most peers send no fraction). */
export function isoSeconds(ms: number): string {
  const t = Math.floor(ms);
  const minute = Math.floor(t / 60_000);
  const seconds = Math.floor((t - minute * 60_000) / 1000);
  return `${minutePrefix(minute)}${seconds < 10 ? '0' : ''}${seconds}Z`;
}

/** A timestamp as a station of this OCPP version writes it: 2.0.1 firmware sends milliseconds, 1.6 seconds. */
export function stationTimestamp(protocol: 'ocpp1.6' | 'ocpp2.0.1', ms: number): string {
  return protocol === 'ocpp2.0.1' ? isoMillis(ms) : isoSeconds(ms);
}

/** OCMF reading time (`TM`): `2018-07-24T13:22:04,000+0000 S` (comma decimal, offset without colon, sync flag). */
export function ocmfTime(ms: number): string {
  const text = isoMillis(ms);
  return `${text.slice(0, 19)},${text.slice(20, 23)}+0000 S`;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
