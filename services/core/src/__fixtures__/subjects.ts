import type { FieldRule, KindRule, MessageCatalog } from '../catalog/types';
import type { IdentifierKind } from '../identifiers';
import { type JsonSchema, schemaAt } from './schema-arbitrary';

/**
 * Identifiers for the privacy property tests: subjects with enough entropy that an accidental match in an output
 * is impossible (at least 10 random characters, letters in every 8-character window), written in the spellings
 * chargers and roaming partners use (case, padding, byte separators, eMAID hyphens, Autocharge `VID:`), and
 * injected at every `direct` catalog path present in a generated payload.
 */

/** mulberry32: a small seeded PRNG, so a failing fast-check seed replays the same identifiers. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** One subject: a kind and its NORMALIZED value (what normalize.ts must produce from every spelling). */
export interface Subject {
  readonly kind: IdentifierKind;
  readonly value: string;
}

export const subjectKey = (tenant: string, s: Subject): string => `${tenant}\u0000${s.kind}\u0000${s.value}`;

const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const HEX = '0123456789ABCDEF';
const HEX_LETTERS = 'ABCDEF';
const VIN = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';

function chars(rng: Rng, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[rng.int(alphabet.length)];
  return out;
}

/** Hex with a letter at every third position, so no 8-character window is all digits (timestamps are). */
function hexWithLetters(rng: Rng, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += i % 3 === 0 ? rng.pick([...HEX_LETTERS]) : rng.pick([...HEX]);
  return out;
}

/** Same, but the first character also a letter: an alphanumeric core of 10+ random characters. */
function text(rng: Rng, n: number): string {
  return rng.pick([...LETTERS]) + chars(rng, ALNUM, n - 1);
}

/** A fresh normalized value of a kind. */
export function freshValue(kind: IdentifierKind, rng: Rng): string {
  switch (kind) {
    case 'uid':
    case 'group':
    case 'extra':
      // An app/contract-style id, or an RFID UID of 5 to 7 bytes.
      return rng.chance(0.5) ? text(rng, 10 + rng.int(4)) : hexWithLetters(rng, 2 * (5 + rng.int(3)));
    case 'emaid':
      return `${chars(rng, LETTERS, 2)}${text(rng, 12)}`;
    case 'vehicle':
      return hexWithLetters(rng, 12);
    case 'certserial':
      return hexWithLetters(rng, 16);
    default:
      // driver, visual, authref, device, customer, energycontract: default normalization keeps one inner space.
      return `${text(rng, 10)} ${text(rng, 4)}`;
  }
}

/** A VIN: kind `vehicle` for fleet.vehicleId, normalized by removing whitespace. */
export function freshVin(rng: Rng): string {
  return `W${chars(rng, VIN, 16)}`;
}

function randomCase(rng: Rng, value: string): string {
  let out = '';
  for (const c of value) out += rng.chance(0.5) ? c.toLowerCase() : c.toUpperCase();
  return out;
}

function padding(rng: Rng): [string, string] {
  const one = (): string => (rng.chance(0.6) ? '' : rng.pick([' ', '  ', '\t', ' \t']));
  return [one(), one()];
}

function bytes(value: string, every = 2): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += every) out.push(value.slice(i, i + every));
  return out;
}

/** How a value is written at a slot: drives both the spelling and the normalization the test expects. */
export type Form = 'uid' | 'emaid' | 'mac' | 'vid' | 'vin' | 'certserial' | 'default';

function decorate(rng: Rng, value: string, form: Form, ascii: boolean): string {
  switch (form) {
    case 'uid': {
      // RFID readers print UIDs of 4 to 10 bytes with one separator between every byte, or none (normalize.ts
      // rule 3: mixed separators and other lengths keep their characters).
      const body =
        /^(?:[0-9A-F]{2}){4,10}$/.test(value) && rng.chance(0.6)
          ? bytes(value).join(rng.pick([' ', ':', '-', '.']))
          : value;
      const [l, r] = padding(rng);
      return `${l}${randomCase(rng, body)}${r}`;
    }
    case 'emaid': {
      // ISO 15118-2 Annex H: printed with or without a hyphen after the country code, after the provider id and
      // before the check character (normalize.ts rule 3); a value of another form is written as it is.
      let body = randomCase(rng, value);
      if (/^[A-Z]{2}[0-9A-Z]{12,13}$/.test(value)) {
        const hyphen = (): string => (rng.chance(0.6) ? '-' : '');
        const check = body.length === 15 ? `${hyphen()}${body.slice(14)}` : '';
        body = `${body.slice(0, 2)}${hyphen()}${body.slice(2, 5)}${hyphen()}${body.slice(5, 14)}${check}`;
      }
      const [l, r] = padding(rng);
      return `${l}${body}${r}`;
    }
    case 'mac': {
      const style = rng.int(4);
      const body =
        style === 0
          ? value
          : style === 1
            ? bytes(value).join(rng.pick([':', '-', ' ', '.']))
            : style === 2
              ? bytes(value, 4).join('.')
              : bytes(value).reduce((acc, b) => `${acc}${rng.pick([':', '-', '.', ''])}${b}`);
      const [l, r] = padding(rng);
      return `${l}${randomCase(rng, body)}${r}`;
    }
    case 'vid': {
      // Autocharge: "VID:" + MAC, optional whitespace around the colon, optional [:.-] between bytes.
      const mac = bytes(value).reduce((acc, b) => `${acc}${rng.chance(0.3) ? rng.pick([':', '-', '.']) : ''}${b}`);
      const gap = (): string => (rng.chance(0.2) ? ' ' : '');
      const [l, r] = padding(rng);
      return `${l}${randomCase(rng, 'VID')}${gap()}:${gap()}${randomCase(rng, mac)}${r}`;
    }
    case 'vin': {
      let body = randomCase(rng, value);
      if (rng.chance(0.3)) {
        const at = 1 + rng.int(body.length - 1);
        body = `${body.slice(0, at)} ${body.slice(at)}`;
      }
      const [l, r] = padding(rng);
      return `${l}${body}${r}`;
    }
    case 'certserial': {
      let body = randomCase(rng, value);
      if (rng.chance(0.5)) body = bytes(body).join(rng.pick([':', ' ', '-']));
      const [l, r] = padding(rng);
      return `${l}${body}${r}`;
    }
    case 'default': {
      const ws = ascii ? [' ', '  '] : [' ', '  ', '\t', ' \t '];
      const body = randomCase(rng, value).replace(/ /g, () => rng.pick(ws));
      const [l, r] = padding(rng);
      return `${l}${body}${r}`;
    }
  }
}

function codePoints(text: string): number {
  return [...text].length;
}

/**
 * A spelling of `value` in `form` that fits `maxLength`; `ascii` restricts whitespace to spaces (OCPI CiString is
 * printable ASCII: a tab would make the payload invalid).
 */
export function spell(rng: Rng, value: string, form: Form, maxLength = Infinity, ascii = false): string {
  for (let attempt = 0; attempt < 8; attempt++) {
    let spelled = decorate(rng, value, form, ascii);
    if (ascii) spelled = spelled.replace(/\t/g, ' ');
    if (codePoints(spelled) <= maxLength) return spelled;
  }
  const plain = form === 'vid' ? `VID:${value}` : randomCase(rng, value);
  if (codePoints(plain) > maxLength) throw new Error(`subjects: ${form} value longer than ${maxLength}`);
  return plain;
}

export const FORM_OF: Readonly<Record<IdentifierKind, Form>> = {
  uid: 'uid',
  group: 'uid',
  extra: 'uid',
  emaid: 'emaid',
  vehicle: 'mac',
  certserial: 'certserial',
  visual: 'default',
  authref: 'default',
  driver: 'default',
  device: 'default',
  customer: 'default',
  energycontract: 'default',
};

/**
 * The subjects of one generated batch. `take` returns a known subject half of the time (so one subject recurs
 * across envelopes, messages and protocols) and otherwise a new one, which is sometimes a deliberate look-alike of
 * a known one: the same value under another kind (uid vs group vs extra, a MAC as a 6-byte uid, a uid as an eMAID).
 */
export class SubjectPool {
  private readonly byKind = new Map<IdentifierKind, Subject[]>();

  constructor(private readonly rng: Rng) {}

  all(): Subject[] {
    return [...this.byKind.values()].flat();
  }

  take(kind: IdentifierKind): Subject {
    const known = this.byKind.get(kind) ?? [];
    if (known.length > 0 && this.rng.chance(0.5)) return this.rng.pick(known);
    const subject: Subject = { kind, value: this.lookAlike(kind) ?? freshValue(kind, this.rng) };
    if (!known.some((s) => s.value === subject.value)) known.push(subject);
    this.byKind.set(kind, known);
    return subject;
  }

  private lookAlike(kind: IdentifierKind): string | undefined {
    if (!this.rng.chance(0.3)) return undefined;
    const from = (kinds: IdentifierKind[]): string[] => kinds.flatMap((k) => (this.byKind.get(k) ?? []).map((s) => s.value));
    switch (kind) {
      case 'uid':
      case 'group':
      case 'extra': {
        const candidates = from(['uid', 'group', 'extra', 'vehicle']).filter((v) => v.length <= 14);
        return candidates.length > 0 ? this.rng.pick(candidates) : undefined;
      }
      case 'emaid': {
        const candidates = from(['uid', 'group']).filter((v) => /^[A-Z][0-9A-Z]+$/.test(v));
        return candidates.length > 0 ? this.rng.pick(candidates) : undefined;
      }
      case 'vehicle': {
        const candidates = from(['uid', 'group', 'extra']).filter((v) => /^[0-9A-F]{12}$/.test(v));
        return candidates.length > 0 ? this.rng.pick(candidates) : undefined;
      }
      default:
        return undefined;
    }
  }
}

/** What was written where, and what the transform must make of it. */
export interface Injection {
  /** Catalog path, or `fleet.vehicleId` / `fleet.driverId`, or `customData`/`x_…` for bait in unknown properties. */
  readonly path: string;
  readonly spelled: string;
  /** The subject the spelling must normalize to; undefined when the value is no identifier (NoAuthorization, bait). */
  readonly subject?: Subject;
  /** How the transform reads it: the catalog kind rule, `fleet`, or `unknown` (not catalogued: must be dropped). */
  readonly via: KindRule | 'fleet' | 'unknown';
  /** For `idToken.type` rows: the IdTokenEnumType written beside it. */
  readonly idTokenType?: string;
}

interface Position {
  readonly parent: Record<string, unknown>;
  readonly key: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every present value at a catalog path, in array order (the walker's order). */
export function positions(root: Record<string, unknown>, path: string): Position[] {
  const out: Position[] = [];
  const segments = path.split('.');
  const visit = (obj: Record<string, unknown>, i: number): void => {
    const segment = segments[i]!;
    const isArray = segment.endsWith('[]');
    const name = isArray ? segment.slice(0, -2) : segment;
    if (!(name in obj) || obj[name] === undefined || obj[name] === null) return;
    const last = i === segments.length - 1;
    if (!isArray) {
      if (last) out.push({ parent: obj, key: name });
      else if (isRecord(obj[name])) visit(obj[name], i + 1);
      return;
    }
    const items = obj[name];
    if (!Array.isArray(items)) return;
    for (const item of items) if (!last && isRecord(item)) visit(item, i + 1);
  };
  visit(root, 0);
  return out;
}

/** The direct rows of a message, one per path (direct rows have no `when`). */
export function directRules(entry: MessageCatalog): FieldRule[] {
  const seen = new Set<string>();
  return entry.fields.filter((r) => r.class === 'direct' && !seen.has(r.path) && seen.add(r.path));
}

export interface InjectOptions {
  readonly rng: Rng;
  readonly pool: SubjectPool;
  /** OCPI: CiStrings are printable ASCII. */
  readonly ascii: boolean;
  /**
   * Force the first position of `path` to hold `subject`, written in `form` (idTag: uid or vid; idToken.type:
   * the type is chosen to match the subject's kind).
   */
  readonly force?: { readonly path: string; readonly subject: Subject };
}

const ID_TOKEN_TYPES_FOR_UID = ['Central', 'ISO14443', 'ISO15693', 'KeyCode', 'Local'];

/**
 * Writes a random identifier at every `direct` catalog path present in `payload` (mutating it) and returns what
 * was written. `schema` is the payload's schema, for maxLength and the IdTokenEnumType values.
 */
export function injectIdentifiers(
  payload: Record<string, unknown>,
  entry: MessageCatalog,
  schema: JsonSchema,
  options: InjectOptions,
): Injection[] {
  const { rng, pool, ascii } = options;
  const out: Injection[] = [];
  for (const rule of directRules(entry)) {
    const maxLength = (schemaAt(schema, rule.path)?.maxLength as number | undefined) ?? Infinity;
    const forced = options.force?.path === rule.path ? options.force.subject : undefined;
    positions(payload, rule.path).forEach(({ parent, key }, index) => {
      const subjectHere = index === 0 ? forced : undefined;
      const kind = rule.kind!;
      // OCPP 1.6 idTag and OCPI cdr_token.uid / Token.uid: a card uid, or the Autocharge `VID:<MAC>` of a vehicle.
      if (kind === 'idTag' || kind === 'uid') {
        const subject = subjectHere ?? pool.take(rng.chance(0.3) ? 'vehicle' : 'uid');
        const spelled = spell(rng, subject.value, subject.kind === 'vehicle' ? 'vid' : 'uid', maxLength, ascii);
        parent[key] = spelled;
        out.push({ path: rule.path, spelled, subject, via: kind });
        return;
      }
      if (kind === 'idToken.type') {
        const parentPath = rule.path.slice(0, rule.path.lastIndexOf('.'));
        const types = (schemaAt(schema, `${parentPath}.type`)?.enum as string[] | undefined) ?? ID_TOKEN_TYPES_FOR_UID;
        let type: string;
        if (subjectHere) {
          type =
            subjectHere.kind === 'emaid'
              ? 'eMAID'
              : subjectHere.kind === 'vehicle'
                ? 'MacAddress'
                : rng.pick(types.filter((t) => ID_TOKEN_TYPES_FOR_UID.includes(t)));
        } else {
          type = rng.pick(types);
        }
        parent.type = type;
        if (type === 'NoAuthorization') {
          const spelled = spell(rng, freshValue('uid', rng), 'uid', maxLength, ascii);
          parent[key] = spelled;
          out.push({ path: rule.path, spelled, via: kind, idTokenType: type });
          return;
        }
        const subjectKind: IdentifierKind = type === 'eMAID' ? 'emaid' : type === 'MacAddress' ? 'vehicle' : 'uid';
        const subject = subjectHere ?? pool.take(subjectKind);
        const spelled = spell(rng, subject.value, FORM_OF[subjectKind], maxLength, ascii);
        parent[key] = spelled;
        out.push({ path: rule.path, spelled, subject, via: kind, idTokenType: type });
        return;
      }
      const subject = subjectHere ?? pool.take(kind);
      const spelled = spell(rng, subject.value, FORM_OF[kind], maxLength, ascii);
      parent[key] = spelled;
      out.push({ path: rule.path, spelled, subject, via: kind });
    });
  }
  return out;
}

/** Fleet ids for the envelope (sometimes): a MAC or a VIN as vehicle, a driver id. */
export function fleetIds(
  rng: Rng,
  pool: SubjectPool,
  force?: Subject,
): { fleet?: { vehicleId?: string; driverId?: string }; injections: Injection[] } {
  if (force === undefined && !rng.chance(0.3)) return { injections: [] };
  const fleet: { vehicleId?: string; driverId?: string } = {};
  const injections: Injection[] = [];
  if (force?.kind === 'vehicle' || (force === undefined && rng.chance(0.7))) {
    const useVin = force === undefined && rng.chance(0.4);
    const subject: Subject = force?.kind === 'vehicle' ? force : useVin ? { kind: 'vehicle', value: freshVin(rng) } : pool.take('vehicle');
    fleet.vehicleId = spell(rng, subject.value, useVin ? 'vin' : 'mac');
    injections.push({ path: 'fleet.vehicleId', spelled: fleet.vehicleId, subject, via: 'fleet' });
  }
  if (force?.kind === 'driver' || (force === undefined && rng.chance(0.7))) {
    const subject = force?.kind === 'driver' ? force : pool.take('driver');
    fleet.driverId = spell(rng, subject.value, 'default');
    injections.push({ path: 'fleet.driverId', spelled: fleet.driverId, subject, via: 'fleet' });
  }
  return { fleet, injections };
}
