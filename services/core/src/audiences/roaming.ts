import type { FieldRule, OcpiModule } from '../catalog/types';
import type { OcpiEnvelope } from '../envelope';
import type { CompiledPolicy, RoamingAction } from '../policy';
import { isRecord, project, type CompiledMessage } from '../walker';

/** One OCPI object for one eMSP: `{"recipient":"NL-EMS","module":…,"object":…}` (design §9). */
export interface RoamingRecord {
  readonly recipient: string;
  readonly module: Extract<OcpiModule, 'sessions' | 'cdrs'>;
  readonly object: Record<string, unknown>;
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

/**
 * The issuing party of the token (OCPI 2.2.1 CdrToken.country_code + party_id): the only recipient of a
 * Session or CDR. Undefined when the object lacks it, which validation already rules out.
 */
export function recipientOf(object: Record<string, unknown>): string | undefined {
  const token = object.cdr_token;
  if (!isRecord(token)) return undefined;
  const { country_code: country, party_id: party } = token;
  if (typeof country !== 'string' || typeof party !== 'string') return undefined;
  return `${country.toUpperCase()}-${party.toUpperCase()}`;
}

export function buildRoaming(
  envelope: OcpiEnvelope,
  message: CompiledMessage,
  keep: (rule: FieldRule) => boolean,
): { record?: RoamingRecord; droppedFields: number } {
  if (envelope.module !== 'sessions' && envelope.module !== 'cdrs') return { droppedFields: 0 };
  const recipient = recipientOf(envelope.object);
  if (recipient === undefined) return { droppedFields: 0 };
  const { object, dropped } = project(message, envelope.object, keep);
  return { record: { recipient, module: envelope.module, object }, droppedFields: dropped };
}
