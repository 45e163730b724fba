import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChargingSessionEvent } from '../audiences/analytics';
import type { RoamingRecord } from '../audiences/roaming';
import { CATALOG } from '../catalog';
import type { ReasonCode } from '../errors';
import { DEFAULT_POLICY_FILE } from '../index';
import { createInputParser } from '../input';
import { parsePolicy } from '../policy';
import { Transform, type RecordResult } from '../transform';
import { FixedKeyTokenSource } from './token-source';

/**
 * Real OCPP 1.6J / 2.0.1 and OCPI 2.2.1 messages transcribed from other open-source projects (real/SOURCES.md says
 * where each came from), plus crafted variants that fill the dangerous fields the way deployments do. One JSON file
 * per message under real/<family>/<name>.json.
 */
export const REAL_DIR = join(__dirname, 'real');

export interface RealMessageSource {
  readonly project: string;
  readonly repository: string;
  readonly path: string;
  readonly url: string;
  /** SPDX id of the source's licence, or NOASSERTION (issue threads, repositories without a licence file). */
  readonly licence: string;
  /** What was transcribed, and what was changed. */
  readonly note: string;
}

/** What ampseal must do with the message: emit an analytics record, skip it (valid, no session event), or refuse it. */
export type RealMessageExpectation = 'emit' | 'skip' | `quarantine:${ReasonCode}`;

export interface RealMessage {
  /** Folder under real/: protocol and message, e.g. `ocpp16-meter-values`. */
  readonly family: string;
  /** File name without `.json`. */
  readonly name: string;
  readonly source: RealMessageSource;
  /** True when the message was changed to put personal data where real deployments put it. */
  readonly crafted: boolean;
  readonly expect: RealMessageExpectation;
  /**
   * Every value in the message that is personal or links to a person or household: it may reach no audience but
   * the roaming record for the token's issuer.
   */
  readonly personal: readonly string[];
  /** The ampseal input envelope (design §2). */
  readonly envelope: Record<string, unknown>;
}

const EXPECTATION = /^(emit|skip|quarantine:[a-z_]+)$/;

/** Every fixture under real/, in family then name order, so test names and audit rows are stable. */
export function loadRealMessages(dir: string = REAL_DIR): RealMessage[] {
  const messages: RealMessage[] = [];
  for (const family of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(dir, family)).filter((f) => f.endsWith('.json')).sort()) {
      const parsed = JSON.parse(readFileSync(join(dir, family, file), 'utf8')) as Omit<RealMessage, 'family' | 'name'>;
      const name = file.slice(0, -'.json'.length);
      // A malformed fixture must fail loudly, not pass as "no personal values".
      if (typeof parsed.expect !== 'string' || !EXPECTATION.test(parsed.expect)) throw new Error(`${family}/${name}: bad expect`);
      if (!Array.isArray(parsed.personal) || parsed.personal.some((p) => typeof p !== 'string' || p.length === 0)) {
        throw new Error(`${family}/${name}: personal must be a list of non-empty strings`);
      }
      if (typeof parsed.crafted !== 'boolean' || typeof parsed.source?.url !== 'string') throw new Error(`${family}/${name}: source/crafted`);
      messages.push({ family, name, ...parsed });
    }
  }
  return messages;
}

/** The separators real systems write identifiers with (04:A2:B3…, NL-TST-C12345678, jan.de.vries). */
const SEPARATORS = /[-:. ]/g;
/** Shorter common substrings are too likely to be chance (digits of a timestamp, a word). */
const MIN_WINDOW = 8;

function normalize(text: string): string {
  return text.toLowerCase().replace(SEPARATORS, '');
}

/**
 * Whether `text` carries `personal`: verbatim (case-insensitive), with separators removed, or any 8-character
 * stretch of it (so a serial inside a transaction id, or a UID inside a session id, is caught too).
 */
export function carries(text: string, personal: string): boolean {
  const lower = text.toLowerCase();
  const bare = normalize(text);
  const p = personal.toLowerCase();
  const np = normalize(personal);
  if (lower.includes(p) || (np.length > 0 && bare.includes(np))) return true;
  for (const [hay, needle] of [
    [lower, p],
    [bare, np],
  ] as const) {
    for (let i = 0; i + MIN_WINDOW <= needle.length; i++) {
      if (hay.includes(needle.slice(i, i + MIN_WINDOW))) return true;
    }
  }
  return false;
}

export interface Leak {
  /** Index into the fixture's `personal` list: tests report the index, never the value. */
  readonly personalIndex: number;
  /** The record field that carried it: a canonical field, `identifiers`, or another top-level key. */
  readonly field: string;
}

/**
 * Time fields hold minute-truncated epoch milliseconds: a run of 8 digits in them matching part of an id that
 * embeds a Unix time (`<uid>-<unix seconds>`) is the same clock, not the identifier. They count only when they
 * carry the whole value.
 */
const TIME_FIELDS = new Set(['eventTime', 'receivedAt', 'startTime', 'endTime']);

/** Every (personal value, record field) pair where an analytics record carries a personal value. */
export function findLeaks(record: ChargingSessionEvent | undefined, personal: readonly string[]): Leak[] {
  if (record === undefined) return [];
  const leaks: Leak[] = [];
  personal.forEach((value, personalIndex) => {
    for (const [field, v] of Object.entries(record)) {
      if (v === null || v === undefined) continue;
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      const hit = TIME_FIELDS.has(field) ? normalize(text) === normalize(value) : carries(text, value);
      if (hit) leaks.push({ personalIndex, field });
    }
  });
  return leaks;
}

/** The OCPI token issuer (`<country_code>-<party_id>` of cdr_token), the only party a roaming record may go to. */
export function issuerOf(message: RealMessage): string | undefined {
  const { envelope } = message;
  if (envelope.source !== 'ocpi2.2.1' || (envelope.module !== 'sessions' && envelope.module !== 'cdrs')) return undefined;
  const token = (envelope.object as Record<string, unknown> | undefined)?.cdr_token as Record<string, unknown> | undefined;
  if (typeof token?.country_code !== 'string' || typeof token.party_id !== 'string') return undefined;
  return `${token.country_code.toUpperCase()}-${token.party_id.toUpperCase()}`;
}

export interface RealMessageOutcome {
  readonly message: RealMessage;
  /** The result with both audiences on, as the pseudonymizer runs by default. */
  readonly result: RecordResult;
  readonly analytics?: ChargingSessionEvent;
  readonly roaming?: RoamingRecord;
  readonly leaks: Leak[];
  /** `emit`, `skip` or `quarantine:<reason>`: what ampseal did, in the fixture's vocabulary. */
  readonly actual: string;
}

/**
 * Runs every message through the core Transform with the shipped policy, the full catalog and a deterministic
 * in-memory key ring: the same path as file mode and the pseudonymizer, without Redis or KMS.
 */
export async function runRealMessages(messages: readonly RealMessage[]): Promise<RealMessageOutcome[]> {
  const policy = parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG);
  const parser = createInputParser();
  const transform = new Transform({
    catalog: CATALOG,
    policy,
    tokens: new FixedKeyTokenSource(),
    parse: parser.parse,
    audiences: ['analytics', 'roaming'],
  });
  const results = await transform.run(
    messages.map((m, i) => ({ value: JSON.stringify(m.envelope), eventId: `line:${i + 1}` })),
  );
  return messages.map((message, i) => {
    const result = results[i]!;
    const analytics = result.status === 'emitted' ? result.analytics : undefined;
    const roaming = result.status === 'emitted' ? result.roaming : undefined;
    const actual =
      result.status === 'quarantined' ? `quarantine:${result.reason}` : result.status === 'skipped' ? 'skip' : analytics ? 'emit' : 'skip';
    return { message, result, analytics, roaming, leaks: findLeaks(analytics, message.personal), actual };
  });
}
