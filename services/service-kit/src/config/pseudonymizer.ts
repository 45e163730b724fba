import { parseRecipient } from '@ampseal/core';
import { integer, invalid, type Env } from './read';

/** The pseudonymizer's own: input size bound, policy, audiences, the roaming allow-list. */
export interface PseudonymizerSection {
  readonly maxRecordBytes: number;
  readonly policyFile: string | undefined;
  readonly audiences: readonly ('analytics' | 'roaming')[];
  /** Token issuers (`NL-TNM`, upper case) allowed to receive roaming output; empty: any well-formed issuer. */
  readonly roamingRecipients: readonly string[];
  /** How far a payload time may run ahead of receivedAt before the record is quarantined (event_time_ahead). */
  readonly maxClockSkewMs: number;
}

export function readPseudonymizerSection(env: Env): PseudonymizerSection {
  return {
    maxRecordBytes: integer(env, 'AMPSEAL_MAX_RECORD_BYTES', 262_144, 1_024, 16_777_216),
    policyFile: env.AMPSEAL_POLICY_FILE?.trim() || undefined,
    audiences: audiences(env),
    roamingRecipients: recipients(env),
    // Station clocks without NTP drift by minutes; beyond a day it is a wrong clock, not drift (keyring SPEC K17).
    maxClockSkewMs: integer(env, 'AMPSEAL_MAX_CLOCK_SKEW_MS', 300_000, 0, 86_400_000),
  };
}

/** The allow-list, by the core's issuer rule: the same form the transform routes by. */
function recipients(env: Env): readonly string[] {
  const list = (env.AMPSEAL_ROAMING_RECIPIENTS?.trim() || '').split(',').map((r) => r.trim()).filter(Boolean);
  const parsed = list.map(parseRecipient);
  if (parsed.some((r) => r === undefined)) {
    invalid('AMPSEAL_ROAMING_RECIPIENTS', 'a comma-separated list of OCPI parties CC-PID (2 letters, 3 letters or digits), such as NL-TNM,DE-ABC');
  }
  return Object.freeze([...new Set(parsed as string[])]);
}

function audiences(env: Env): readonly ('analytics' | 'roaming')[] {
  const list = (env.AMPSEAL_AUDIENCES?.trim() || 'analytics,roaming').split(',').map((a) => a.trim());
  if (list.length === 0 || list.some((a) => a !== 'analytics' && a !== 'roaming')) {
    invalid('AMPSEAL_AUDIENCES', 'a comma-separated list of analytics, roaming');
  }
  return Object.freeze([...new Set(list)] as ('analytics' | 'roaming')[]);
}
