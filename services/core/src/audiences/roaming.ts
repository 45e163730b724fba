import type { FieldRule, OcpiModule } from '../catalog/types';
import type { Envelope, OcpiEnvelope } from '../envelope';
import { AmpsealError } from '../errors';
import type { CompiledPolicy, RoamingAction } from '../policy';
import { isRecord, project, type CompiledMessage } from '../walker';

/** One OCPI object for one eMSP: `{"recipient":"NL-EMS","module":…,"object":…}` (design §9). */
export interface RoamingRecord {
  readonly recipient: string;
  readonly module: Extract<OcpiModule, 'sessions' | 'cdrs'>;
  readonly object: Record<string, unknown>;
  /** Present on an OCPI PATCH: `object` holds only the fields the update names. */
  readonly patch?: true;
}

/**
 * Per catalog row, keep or drop for the roaming audience: the longest `<module>:<path>` override that names
 * the row's path or a subtree above it, else the row's class default, else drop (default deny).
 * Computed once per message at start.
 */
export function roamingDecisions(message: CompiledMessage, policy: CompiledPolicy): (rule: FieldRule) => boolean {
  const decisions = new Map<FieldRule, boolean>();
  const module = message.entry.message;
  for (const rule of message.entry.fields) {
    let action: RoamingAction | undefined;
    let best = -1;
    for (const [key, value] of policy.roaming.paths) {
      const prefix = `${module}:`;
      if (!key.startsWith(prefix)) continue;
      const path = key.slice(prefix.length);
      const names = rule.path === path || rule.path.startsWith(`${path}.`) || rule.path.startsWith(`${path}[]`);
      if (names && path.length > best) {
        best = path.length;
        action = value;
      }
    }
    action ??= policy.roaming.classes.get(rule.class) ?? 'drop';
    decisions.set(rule, action === 'keep');
  }
  return (rule) => decisions.get(rule) === true;
}

/*
 * Who may receive what (decided for ampseal issue 9; README "Roaming partners"):
 *
 * A Session or CDR goes only to the eMSP that issued its token (CdrToken.country_code + party_id), on that
 * eMSP's own topic (`ocpi.roaming.{recipient}.v1`): Kafka ACLs grant READ per topic, never per key, so one
 * shared topic would let every partner read every other partner's CDRs.
 *
 * The issuer is the routing key, so it is checked here, once, for every reader (transform, allow-list in the
 * configuration): OCPI 2.2.1 CdrToken.country_code is CiString(2), an ISO 3166-1 alpha-2 code, and party_id is
 * CiString(3), the ISO 15118 party id. Case-insensitive (upper-cased here, so `nl`/`tnm` and `NL`/`TNM` are one
 * recipient), but never trimmed or padded: `"N-"`+`"L"` and `"N"`+`"-L"` would otherwise both read `N--L`.
 * A malformed issuer quarantines the whole record (`bad_issuer`) whichever audiences are on: it is an OCPI
 * object whose routing key is corrupt, and analytics must not depend on whether roaming is configured.
 *
 * Erasure (Art. 17) and restriction (Art. 18) of a card or contract do not stop its CDRs reaching the issuer:
 * the roaming record holds the issuing eMSP's own identifiers about its own customer, which it needs to bill
 * the charging session and keep the invoice (legal obligation, Art. 17(3)(b); establishment or defence of
 * legal claims, Art. 17(3)(e) and Art. 18(2)). They are never routed to anyone else, and the tokens of the
 * analytics audience still show ERASED/RESTRICTED. The erasure receipt says so (`roaming`), and the operator
 * notifies the issuer of the erasure or restriction (Art. 19) so that it applies it in its own systems.
 */

/** OCPI 2.2.1 CiString(2) ISO 3166-1 alpha-2, and CiString(3) ISO 15118 party id: exact length, no spaces. */
const COUNTRY = /^[A-Za-z]{2}$/;
const PARTY = /^[A-Za-z0-9]{3}$/;
/** A recipient as ampseal writes it: upper-case `CC-PID` (`NL-TNM`); also the form of the allow-list. */
const RECIPIENT = /^([A-Za-z]{2})-([A-Za-z0-9]{3})$/;

/** The placeholder of the roaming topic template (`ocpi.roaming.{recipient}.v1`). */
export const RECIPIENT_PLACEHOLDER = '{recipient}';

export type IssuerResult = { readonly ok: true; readonly recipient: string } | { readonly ok: false; readonly error: AmpsealError };

function badIssuer(field: 'country_code' | 'party_id', keyword: string): IssuerResult {
  const pointer = `/cdr_token/${field}`;
  return { ok: false, error: new AmpsealError('BAD_ISSUER', `${pointer} ${keyword}`, { pointer, keyword }) };
}

/**
 * The issuing party of the token (OCPI 2.2.1 CdrToken.country_code + party_id): the only recipient of a
 * Session or CDR, upper-cased. An error (pointer and rule, never the value) when either code is malformed.
 */
export function issuerOf(object: Record<string, unknown>): IssuerResult {
  const token = object.cdr_token;
  const { country_code: country, party_id: party } = isRecord(token) ? token : {};
  if (typeof country !== 'string') return badIssuer('country_code', 'type');
  if (!COUNTRY.test(country)) return badIssuer('country_code', 'pattern');
  if (typeof party !== 'string') return badIssuer('party_id', 'type');
  if (!PARTY.test(party)) return badIssuer('party_id', 'pattern');
  return { ok: true, recipient: `${country.toUpperCase()}-${party.toUpperCase()}` };
}

/** The issuer error of an OCPI Session or CDR, if any; other envelopes have no issuer to route by. */
export function issuerError(envelope: Envelope): AmpsealError | undefined {
  if (envelope.source !== 'ocpi2.2.1' || (envelope.module !== 'sessions' && envelope.module !== 'cdrs')) return undefined;
  // A PATCH that does not touch cdr_token carries no routing key: it is not routed (buildRoaming), not malformed.
  if (envelope.patch && envelope.object.cdr_token === undefined) return undefined;
  const issuer = issuerOf(envelope.object);
  return issuer.ok ? undefined : issuer.error;
}

/** `CC-PID` in either case → upper-case recipient; undefined when not of that form (allow-list entries). */
export function parseRecipient(text: string): string | undefined {
  const match = RECIPIENT.exec(text);
  return match ? `${match[1]!.toUpperCase()}-${match[2]!.toUpperCase()}` : undefined;
}

/**
 * The recipient's topic from the template. Safe as a Kafka topic name because a recipient is only ever
 * built by issuerOf/parseRecipient (letters, digits and one `-`).
 */
export function roamingTopic(template: string, recipient: string): string {
  return template.replace(RECIPIENT_PLACEHOLDER, recipient);
}

export function buildRoaming(
  envelope: OcpiEnvelope,
  message: CompiledMessage,
  keep: (rule: FieldRule) => boolean,
): { record?: RoamingRecord; droppedFields: number } {
  if (envelope.module !== 'sessions' && envelope.module !== 'cdrs') return { droppedFields: 0 };
  // The transform has already quarantined a malformed issuer (issuerError); this only narrows the type.
  const issuer = issuerOf(envelope.object);
  if (!issuer.ok) return { droppedFields: 0 };
  const { object, dropped } = project(message, envelope.object, keep);
  // A patch stays a patch for the eMSP: it updates the fields it names and nothing else (OCPI PATCH semantics).
  const record = envelope.patch
    ? { recipient: issuer.recipient, module: envelope.module, object, patch: true as const }
    : { recipient: issuer.recipient, module: envelope.module, object };
  return { record, droppedFields: dropped };
}
