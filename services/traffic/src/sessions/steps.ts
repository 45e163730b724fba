/**
 * The steps of a charging session: the vocabulary between the planner (session.ts), which decides when each
 * step happens, and the writers (ocpp16.ts, ocpp201.ts, ocpi.ts), which decide what each step looks like on
 * the wire. Numbers, not strings: a switch over small integers on the per-record path.
 */

export const TOKEN = 0;
export const PLUG = 1;
export const PLUG_TX = 2;
export const REMOTE = 3;
export const AUTHORIZE = 4;
export const AUTHORIZE_CONF = 5;
export const START = 6;
export const START_CONF = 7;
export const CHARGING = 8;
export const METER = 9;
export const SUSPENDED = 10;
export const STOP = 11;
export const STOP_CONF = 12;
export const FINISHING = 13;
export const UNPLUG = 14;
export const DEAUTHORIZED = 15;
export const OCPI_PENDING = 16;
export const OCPI_ACTIVE = 17;
export const OCPI_COMPLETED = 18;
export const CDR = 19;

/** How the session ends; each protocol names it in its own words (stop reason, trigger reason). */
export type StopMode = 'departed' | 'local' | 'remote' | 'soc' | 'other';
