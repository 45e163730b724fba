/**
 * The steps of a charging session: the vocabulary between the planner (session.ts), which decides when each
 * step happens, and the writers (ocpp16.ts, ocpp201.ts, ocpi.ts), which decide what each step looks like on
 * the wire. Numbers, not strings: a switch over small integers on the per-record path.
 */

export const Step = {
  TOKEN: 0,
  PLUG: 1,
  PLUG_TX: 2,
  REMOTE: 3,
  AUTHORIZE: 4,
  AUTHORIZE_CONF: 5,
  START: 6,
  START_CONF: 7,
  CHARGING: 8,
  METER: 9,
  SUSPENDED: 10,
  STOP: 11,
  STOP_CONF: 12,
  FINISHING: 13,
  UNPLUG: 14,
  DEAUTHORIZED: 15,
  OCPI_PENDING: 16,
  OCPI_ACTIVE: 17,
  OCPI_COMPLETED: 18,
  CDR: 19,
} as const;
export type StepKind = (typeof Step)[keyof typeof Step];

/** How the session ends; each protocol names it in its own words (stop reason, trigger reason). */
export type StopMode = 'departed' | 'local' | 'remote' | 'soc' | 'other';
