/**
 * Property tests of the privacy claims (style rule 10, design §3–§6), driven by valid payloads generated from the
 * real schemas (vendored OCPP 1.6 / 2.0.1, ampseal's OCPI 2.2.1) with random identifiers at every `direct` catalog
 * path, written in the spellings chargers and partners use.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { ChargingSessionEvent } from './audiences/analytics';
import { CATALOG, type MessageCatalog } from './catalog';
import { QUARANTINE_REASONS } from './errors';
import type { IdentifierKind } from './identifiers';
import { analyticsType } from '@ampseal/schemas/codec';
import { DEFAULT_POLICY_FILE } from './index';
import { createInputParser } from './input';
import { normalize, normalizeIdTag, normalizeIdToken, type NormalizedIdentifier } from './normalize';
import { parsePolicy } from './policy';
import { Transform, type Audience, type RecordResult } from './transform';
import { decimal, type JsonSchema, schemaArbitrary } from './__fixtures__/schema-arbitrary';
import {
  directRules,
  fleetIds,
  injectIdentifiers,
  type Injection,
  Rng,
  type Subject,
  SubjectPool,
  subjectKey,
} from './__fixtures__/subjects';
import { FixedKeyTokenSource } from './__fixtures__/token-source';

// Each property runs well under a second on an idle core; the margin is for loaded CI machines.
jest.setTimeout(30_000);

const parser = createInputParser();
const policy = parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG);
const avro = analyticsType();

/** Every catalogued message that yields an analytics record. */
const ANALYTIC = CATALOG.filter((e) => e.eventType !== undefined);
const TENANTS = ['acme-cpo', 'other-cpo'];

function schemaOf(entry: MessageCatalog): JsonSchema {
  if (entry.source === 'ocpi2.2.1') return parser.ocpi.schema(entry.message as 'sessions' | 'cdrs' | 'tokens') as JsonSchema;
  const schema = parser.ocpp.schema(entry.source, entry.message, entry.direction!);
  if (schema === undefined) throw new Error(`no schema for ${entry.key}`);
  return schema as JsonSchema;
}

const MULTIPLIERS: Record<string, readonly [number, number]> = {
  'meterValue[].sampledValue[].unitOfMeasure.multiplier': [-6, 6],
  'transactionData[].sampledValue[].unitOfMeasure.multiplier': [-6, 6],
};

/** OCPP 1.6 SampledValue.value is a string in the schema and "a 'Raw' (decimal) number" in the spec (§7.43). */
const SAMPLED_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  'meterValue[].sampledValue[].value': decimal(6),
  'transactionData[].sampledValue[].value': decimal(6),
};

/** OCPP 2.0.1 readings: numbers that stay within ±2^53 under a multiplier of ±6. */
const READINGS: Record<string, fc.Arbitrary<unknown>> = {
  'meterValue[].sampledValue[].value': fc.double({ noNaN: true, min: -1e9, max: 1e9 }),
};

/**
 * The OCPI schema bounds the token issuer's codes by length only; the transform also wants the OCPI form (2
 * letters, 3 letters or digits) and quarantines anything else as bad_issuer (audiences/roaming.test.ts).
 */
const ISSUERS = [
  { country_code: 'NL', party_id: 'TNM' },
  { country_code: 'de', party_id: '8aa' },
  { country_code: 'Be', party_id: 'B3C' },
];
function withIssuer(payload: Record<string, unknown>, issuer: (typeof ISSUERS)[number]): Record<string, unknown> {
  const token = payload.cdr_token;
  if (token === null || typeof token !== 'object' || Array.isArray(token)) return payload;
  return { ...payload, cdr_token: { ...token, ...issuer } };
}

const RECEIVED_AFTER_EVERY_PAYLOAD = '2100-01-01T00:00:00Z';

const payloadArbs = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
function payloadArb(entry: MessageCatalog, require: readonly string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const key = `${entry.key}|${require.join(',')}`;
  let arb = payloadArbs.get(key);
  // Realistic numbers: connector ids within the Avro int, multipliers of a few powers of ten. Beyond those a
  // schema-valid record is quarantined as number_out_of_range, which the numbers property below proves.
  const realistic = { wideIntegers: false, integerBounds: MULTIPLIERS, overrides: entry.source === 'ocpp1.6' ? SAMPLED_VALUES : READINGS };
  if (arb === undefined) {
    const payloads = schemaArbitrary(schemaOf(entry), { require, ...realistic });
    arb = entry.source === 'ocpi2.2.1' ? fc.tuple(payloads, fc.constantFrom(...ISSUERS)).map(([p, issuer]) => withIssuer(p, issuer)) : payloads;
    payloadArbs.set(key, arb);
  }
  return arb;
}

function transform(audiences: Audience[] = ['analytics']) {
  return new Transform({ catalog: CATALOG, policy, tokens: new FixedKeyTokenSource(), parse: parser.parse, audiences });
}

async function run(t: Transform, lines: readonly string[]): Promise<RecordResult[]> {
  return t.run(lines.map((value, i) => ({ value, eventId: `prop:${i}` })));
}

/** The token FixedKeyTokenSource gives a subject: computed apart from the transform. */
async function expectedTokens(requests: ReadonlyArray<{ tenant: string; subject: Subject }>): Promise<string[]> {
  const outcomes = await new FixedKeyTokenSource().tokens(
    requests.map(({ tenant, subject }) => ({ subject: { tenant, ...subject }, at: 0 })),
  );
  return outcomes.map((o) => (o.status === 'TOKENIZED' ? o.token : 'none'));
}

interface EnvelopeMeta {
  readonly tenant: string;
  readonly stationId: string;
  readonly receivedAt: string;
  readonly fleet?: { vehicleId?: string; driverId?: string };
  /** A CALL may repeat its action in the envelope; a CALLRESULT must. */
  readonly actionInEnvelope: boolean;
}

function envelope(entry: MessageCatalog, payload: Record<string, unknown>, meta: EnvelopeMeta): string {
  const base = { tenant: meta.tenant, source: entry.source, ...(meta.fleet ? { fleet: meta.fleet } : {}) };
  if (entry.source === 'ocpi2.2.1') {
    return JSON.stringify({ ...base, module: entry.message, object: payload, receivedAt: meta.receivedAt });
  }
  const common = { ...base, stationId: meta.stationId, receivedAt: meta.receivedAt };
  if (entry.direction === 'req') {
    return JSON.stringify({
      ...common,
      ...(meta.actionInEnvelope ? { action: entry.message } : {}),
      frame: [2, 'msg-1', entry.message, payload],
    });
  }
  return JSON.stringify({ ...common, action: entry.message, frame: [3, 'msg-1', payload] });
}

interface Case {
  readonly entry: MessageCatalog;
  readonly tenant: string;
  readonly line: string;
  readonly injections: Injection[];
}

/**
 * Turns generated payloads into envelopes with identifiers at every direct path, fleet ids sometimes, and bait: a
 * copy of an identifier in a vendor extension (2.0.1 customData, an OCPI `x_` property), which must be dropped.
 */
function buildCases(payloads: ReadonlyArray<{ entry: MessageCatalog; payload: Record<string, unknown> }>, seed: number) {
  const rng = new Rng(seed);
  const pool = new SubjectPool(rng);
  return payloads.map(({ entry, payload: generated }): Case => {
    const payload = structuredClone(generated);
    const ascii = entry.source === 'ocpi2.2.1';
    const injections = injectIdentifiers(payload, entry, schemaOf(entry), { rng, pool, ascii });
    const { fleet, injections: fleetInjections } = fleetIds(rng, pool);
    injections.push(...fleetInjections);
    const bait = injections.length > 0 && rng.chance(0.5) ? rng.pick(injections).spelled : undefined;
    if (bait !== undefined && entry.source === 'ocpp2.0.1') {
      payload.customData = { vendorId: 'com.example.crm', card: bait };
      injections.push({ path: 'customData', spelled: bait, via: 'unknown' });
    } else if (bait !== undefined && entry.source === 'ocpi2.2.1') {
      payload.x_crm = { card: bait, note: `card ${bait}` };
      injections.push({ path: 'x_crm', spelled: bait, via: 'unknown' });
    }
    const tenant = rng.pick(TENANTS);
    const meta: EnvelopeMeta = {
      tenant,
      stationId: `CP-${rng.int(1000)}`,
      // After every generated payload time (2000-2099): a platform receives an event after it happened, and a
      // payload time ahead of receivedAt is quarantined (event_time_ahead), which transform.test.ts proves.
      receivedAt: RECEIVED_AFTER_EVERY_PAYLOAD,
      actionInEnvelope: rng.chance(0.5),
      ...(fleet ? { fleet } : {}),
    };
    return { entry, tenant, line: envelope(entry, payload, meta), injections };
  });
}

/** What normalize.ts makes of an injected spelling: the generator's claim that it names its subject. */
function normalizedAs(injection: Injection): NormalizedIdentifier | undefined {
  switch (injection.via) {
    case 'idTag':
    case 'uid':
      return normalizeIdTag(injection.spelled);
    case 'idToken.type':
      return normalizeIdToken(injection.spelled, injection.idTokenType);
    case 'fleet':
    case 'unknown': {
      if (injection.subject === undefined) return undefined;
      const value = normalize(injection.subject.kind, injection.spelled);
      return value === undefined ? undefined : { kind: injection.subject.kind, value };
    }
    default: {
      const value = normalize(injection.via, injection.spelled);
      return value === undefined ? undefined : { kind: injection.via, value };
    }
  }
}

const tokenized = (kind: IdentifierKind): boolean => policy.analytics.identifiers.get(kind) === 'tokenize';

/** 8-character windows of a secret with at least 4 letters or digits: windows of padding could match by chance. */
function windows(secret: string): string[] {
  const upper = secret.toUpperCase();
  const out: string[] = [];
  for (let i = 0; i + 8 <= upper.length; i++) {
    const w = upper.slice(i, i + 8);
    if ((w.match(/[0-9A-Z]/g) ?? []).length >= 4) out.push(w);
  }
  return out;
}

/** Every injected value, its normalized form and every 8-character window of them found in `output`. */
function leaks(output: string, injections: readonly Injection[]): string[] {
  const haystack = output.toUpperCase();
  const found: string[] = [];
  for (const injection of injections) {
    const secrets = [injection.spelled, injection.spelled.trim(), injection.subject?.value ?? ''];
    for (const secret of secrets) {
      if (secret.length > 0 && secret.length < 8) throw new Error(`injected identifier shorter than 8: ${secret}`);
      if (secret !== '' && haystack.includes(secret.toUpperCase())) found.push(`${injection.path}: ${secret}`);
      for (const w of windows(secret)) if (haystack.includes(w)) found.push(`${injection.path}: ${secret} ~ ${w}`);
    }
  }
  return found;
}

function analyticsOf(result: RecordResult | undefined, c: Case): ChargingSessionEvent {
  if (result?.status !== 'emitted' || result.analytics === undefined) {
    throw new Error(`${c.entry.key}: expected an analytics record, got ${JSON.stringify(result)}`);
  }
  return result.analytics;
}

function avroProblems(record: unknown): string[] {
  const problems: string[] = [];
  avro.isValid(record, { errorHook: (path, value) => problems.push(`${path.join('.')}=${JSON.stringify(value)}`) });
  return problems;
}

/**
 * Pairs each identifier of a record with the injection it came from (same field path, same order: the walker
 * visits arrays in order) and checks kind, status and token against the subject.
 */
async function checkIdentifiers(c: Case, record: ChargingSessionEvent): Promise<Array<{ key: string; token: string }>> {
  const expected = c.injections.filter((i) => i.via !== 'unknown' && i.subject !== undefined && tokenized(i.subject.kind));
  const byField = (fields: readonly string[]) => [...fields].sort();
  expect(byField(record.identifiers.map((i) => i.field))).toEqual(byField(expected.map((i) => i.path)));
  const tokens = await expectedTokens(expected.map((i) => ({ tenant: c.tenant, subject: i.subject! })));
  const pairs: Array<{ key: string; token: string }> = [];
  const seen = new Map<string, number>();
  for (const id of record.identifiers) {
    const nth = seen.get(id.field) ?? 0;
    seen.set(id.field, nth + 1);
    const index = expected.map((e, i) => [e, i] as const).filter(([e]) => e.path === id.field)[nth]![1];
    const subject = expected[index]!.subject!;
    expect({ field: id.field, kind: id.kind, status: id.status, token: id.token }).toEqual({
      field: id.field,
      kind: subject.kind,
      status: 'TOKENIZED',
      token: tokens[index],
    });
    pairs.push({ key: subjectKey(c.tenant, subject), token: id.token! });
  }
  return pairs;
}

const seed = fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 }));
/** One payload of every analytic message per run, so each catalogued message is exercised every time. */
const allMessages = fc.tuple(...ANALYTIC.map((entry) => payloadArb(entry).map((payload) => ({ entry, payload }))));

describe('schema-arbitrary: generated payloads are valid', () => {
  it.each(CATALOG.map((e) => [e.key, e] as const))('%s', (_key, entry) => {
    fc.assert(
      fc.property(payloadArb(entry), (payload) => {
        const error =
          entry.source === 'ocpi2.2.1'
            ? parser.ocpi.validate(entry.message as 'sessions', payload)
            : parser.ocpp.validate(entry.source, entry.message, entry.direction!, payload);
        expect(error?.message).toBeUndefined();
      }),
      { numRuns: 25 },
    );
  });

  it('every analytic message has a direct path the generator can fill', () => {
    expect(ANALYTIC.filter((e) => directRules(e).length === 0).map((e) => e.key)).toEqual(['ocpp1.6:MeterValues:req']);
  });
});

describe('privacy properties of the analytics audience (default policy)', () => {
  it('(a) never emits an injected identifier: not in any spelling, not normalized, not as an 8-character fragment', async () => {
    const covered = new Set<string>();
    await fc.assert(
      fc.asyncProperty(allMessages, seed, async (payloads, s) => {
        const cases = buildCases(payloads, s);
        // The generator's claim: each spelling normalizes to its subject (or to nothing for NoAuthorization).
        for (const c of cases) {
          for (const i of c.injections) if (i.via !== 'unknown') expect(normalizedAs(i)).toEqual(i.subject);
        }
        const results = await run(transform(), cases.map((c) => c.line));
        const records = results.map((r, i) => analyticsOf(r, cases[i]!));
        const everything = cases.flatMap((c) => c.injections);
        expect(leaks(JSON.stringify(records), everything)).toEqual([]);
        for (const c of cases) {
          for (const i of c.injections) covered.add(`${c.entry.key} ${i.path} ${i.idTokenType ?? i.subject?.kind ?? 'none'}`);
        }
      }),
      { numRuns: 60 },
    );
    // Every direct path of every analytic message was filled, and every IdTokenEnumType and the VID: form were used.
    const paths = ANALYTIC.flatMap((e) => directRules(e).map((r) => `${e.key} ${r.path}`));
    expect(paths.filter((p) => ![...covered].some((c) => c.startsWith(`${p} `)))).toEqual([]);
    for (const type of ['Central', 'eMAID', 'ISO14443', 'ISO15693', 'KeyCode', 'Local', 'MacAddress', 'NoAuthorization']) {
      expect([...covered].some((c) => c.endsWith(` idToken.idToken ${type}`))).toBe(true);
    }
    expect([...covered].some((c) => c.startsWith('ocpp1.6:') && c.endsWith(' idTag vehicle'))).toBe(true);
    expect([...covered].some((c) => c.startsWith('ocpi2.2.1:') && c.endsWith('uid vehicle'))).toBe(true);
    expect([...covered].some((c) => c.includes(' fleet.vehicleId ') || c.includes(' fleet.driverId '))).toBe(true);
  });

  it('(a) the leak oracle is not vacuous: it finds an identifier fragment planted in a record', async () => {
    const [payloads, s] = fc.sample(fc.tuple(allMessages, seed), { numRuns: 1, seed: 42 })[0]!;
    const cases = buildCases(payloads, s);
    const results = await run(transform(), cases.map((c) => c.line));
    const records = results.map((r, i) => analyticsOf(r, cases[i]!));
    const planted = cases.flatMap((c) => c.injections).find((i) => i.subject !== undefined)!;
    expect(leaks(JSON.stringify(records), [planted])).toEqual([]);
    records[0]!.stopReason = `x${planted.subject!.value.slice(1, 9).toLowerCase()}x`;
    expect(leaks(JSON.stringify(records), [planted])).not.toEqual([]);
  });

  it('(b) gives a subject one token however and wherever it is written, within and across batches', async () => {
    await fc.assert(
      fc.asyncProperty(allMessages, seed, async (payloads, s) => {
        const cases = buildCases(payloads, s);
        const half = Math.floor(cases.length / 2);
        // Two batches (two transforms): tokens do not depend on what else a batch holds.
        const results = [
          ...(await run(transform(), cases.slice(0, half).map((c) => c.line))),
          ...(await run(transform(), cases.slice(half).map((c) => c.line))),
        ];
        const tokenOf = new Map<string, string>();
        for (const [i, c] of cases.entries()) {
          for (const { key, token } of await checkIdentifiers(c, analyticsOf(results[i], c))) {
            expect(tokenOf.get(key) ?? token).toBe(token);
            tokenOf.set(key, token);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  describe('(b) one subject, two spellings, two messages, OCPP and OCPI alike', () => {
    /** A place a subject of `kind` can be written: a direct catalog path, or the envelope's fleet ids. */
    type Slot = { readonly label: string; readonly entry: MessageCatalog; readonly path: string; readonly kind: IdentifierKind };
    const KINDS_OF: Record<string, IdentifierKind[]> = {
      idTag: ['uid', 'vehicle'],
      uid: ['uid', 'vehicle'],
      'idToken.type': ['uid', 'emaid', 'vehicle'],
    };
    const slots: Slot[] = [];
    for (const entry of ANALYTIC) {
      for (const rule of directRules(entry)) {
        for (const kind of KINDS_OF[rule.kind!] ?? [rule.kind as IdentifierKind]) {
          if (tokenized(kind)) slots.push({ label: `${entry.key} ${rule.path}`, entry, path: rule.path, kind });
        }
      }
      slots.push({ label: `${entry.key} fleet`, entry, path: 'fleet.vehicleId', kind: 'vehicle' });
      slots.push({ label: `${entry.key} fleet`, entry, path: 'fleet.driverId', kind: 'driver' });
    }
    const kinds = [...new Set(slots.map((s) => s.kind))];

    it('covers uid, group, emaid, extra, vehicle and driver, each in more than one message', () => {
      expect(kinds.sort()).toEqual(['driver', 'emaid', 'extra', 'group', 'uid', 'vehicle']);
      for (const kind of kinds) {
        expect(new Set(slots.filter((s) => s.kind === kind).map((s) => s.entry.key)).size).toBeGreaterThan(1);
      }
      // Cross-protocol joins of design §3: uid and emaid over OCPP and OCPI; vehicle over VID: (1.6 idTag, OCPI uid)
      // and 2.0.1 MacAddress.
      const sources = (kind: IdentifierKind) =>
        new Set(slots.filter((s) => s.kind === kind && !s.path.startsWith('fleet.')).map((s) => s.entry.source));
      expect([...sources('uid')].sort()).toEqual(['ocpi2.2.1', 'ocpp1.6', 'ocpp2.0.1']);
      expect([...sources('emaid')].sort()).toEqual(['ocpi2.2.1', 'ocpp2.0.1']);
      expect([...sources('vehicle')].sort()).toEqual(['ocpi2.2.1', 'ocpp1.6', 'ocpp2.0.1']);
    });

    const slotPair = fc.constantFrom(...kinds).chain((kind) => {
      const mine = slots.filter((s) => s.kind === kind);
      return fc.constantFrom(...mine).chain((a) => {
        // Prefer the other protocol, to prove the cross-protocol join.
        const other = mine.filter((s) => s.entry.source !== a.entry.source);
        return fc.tuple(fc.constant(a), fc.constantFrom(...(other.length > 0 ? other : mine)));
      });
    });
    const slotPayload = (slot: Slot) => payloadArb(slot.entry, slot.path.startsWith('fleet.') ? [] : [slot.path]);

    it('gives both envelopes the token of the subject', async () => {
      await fc.assert(
        fc.asyncProperty(
          slotPair.chain(([a, b]) => fc.tuple(fc.constant([a, b] as const), slotPayload(a), slotPayload(b))),
          seed,
          async ([[a, b], pa, pb], s) => {
            const rng = new Rng(s);
            const pool = new SubjectPool(rng);
            const subject = pool.take(a.kind);
            const lines: string[] = [];
            const spellings: string[] = [];
            for (const [slot, generated] of [
              [a, pa],
              [b, pb],
            ] as const) {
              const payload = structuredClone(generated);
              const fleetSlot = slot.path.startsWith('fleet.');
              const injections = injectIdentifiers(payload, slot.entry, schemaOf(slot.entry), {
                rng,
                pool,
                ascii: slot.entry.source === 'ocpi2.2.1',
                ...(fleetSlot ? {} : { force: { path: slot.path, subject } }),
              });
              const { fleet, injections: fleetInjections } = fleetIds(rng, pool, fleetSlot ? subject : undefined);
              const mine = [...injections, ...fleetInjections].find((i) => i.path === slot.path)!;
              expect(normalizedAs(mine)).toEqual(subject);
              spellings.push(mine.spelled);
              lines.push(
                envelope(slot.entry, payload, {
                  tenant: 'acme-cpo',
                  stationId: 'CP-1',
                  receivedAt: RECEIVED_AFTER_EVERY_PAYLOAD,
                  actionInEnvelope: false,
                  ...(fleet ? { fleet } : {}),
                }),
              );
            }
            const [ra] = await run(transform(), [lines[0]!]);
            const [rb] = await run(transform(), [lines[1]!]);
            const [expected] = await expectedTokens([{ tenant: 'acme-cpo', subject }]);
            const tokenAt = (r: RecordResult | undefined, slot: Slot) => {
              if (r?.status !== 'emitted') throw new Error(`${slot.label}: ${JSON.stringify(r)}`);
              return r.analytics!.identifiers.find((i) => i.field === slot.path && i.kind === slot.kind)?.token;
            };
            expect([tokenAt(ra, a), tokenAt(rb, b)]).toEqual([expected, expected]);
          },
        ),
        { numRuns: 120 },
      );
    });
  });

  it('(c) never gives two different subjects one token (look-alikes: same value under another kind, another tenant)', async () => {
    let lookAlikes = 0;
    await fc.assert(
      fc.asyncProperty(allMessages, seed, async (payloads, s) => {
        const cases = buildCases(payloads, s);
        const results = await run(transform(), cases.map((c) => c.line));
        const subjectOf = new Map<string, string>();
        const values = new Map<string, Set<string>>();
        for (const [i, c] of cases.entries()) {
          for (const { key, token } of await checkIdentifiers(c, analyticsOf(results[i], c))) {
            expect(subjectOf.get(token) ?? key).toBe(key);
            subjectOf.set(token, key);
            const value = key.split('\u0000')[2]!;
            values.set(value, (values.get(value) ?? new Set()).add(key));
          }
        }
        for (const keys of values.values()) if (keys.size > 1) lookAlikes++;
      }),
      { numRuns: 40 },
    );
    // The property is only meaningful if the batches held look-alikes.
    expect(lookAlikes).toBeGreaterThan(0);
  });

  it('(d) every analytics record is valid against schemas/avro/charging-session-event.avsc', async () => {
    await fc.assert(
      fc.asyncProperty(allMessages, seed, async (payloads, s) => {
        const cases = buildCases(payloads, s);
        const results = await run(transform(), cases.map((c) => c.line));
        const problems = results.flatMap((r, i) => avroProblems(analyticsOf(r, cases[i]!)).map((p) => `${cases[i]!.entry.key}: ${p}`));
        expect(problems).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('(e) the transform never throws and classifies every record', () => {
  const SKIPS = new Set(['call_error', 'not_catalogued', 'no_session_event', 'not_for_audience']);
  // Every reason a record can be quarantined for: the parser's, and the transform's (numbers, token issuer).
  const reasons = new Set<string>(QUARANTINE_REASONS);

  function check(inputs: ReadonlyArray<string | Buffer | null>, results: RecordResult[]): void {
    expect(results).toHaveLength(inputs.length);
    for (const r of results) {
      if (r.status === 'quarantined') expect(reasons).toContain(r.reason);
      else if (r.status === 'skipped') expect(SKIPS).toContain(r.why);
      else {
        expect(r.status).toBe('emitted');
        expect(r.analytics !== undefined || r.roaming !== undefined).toBe(true);
        if (r.analytics) expect(avroProblems(r.analytics)).toEqual([]);
      }
    }
  }

  /** Applies a few random edits to a JSON value: delete, replace, retype, add an unknown key. */
  function mutate(value: unknown, rng: Rng, replacements: readonly unknown[]): unknown {
    const root = { v: structuredClone(value) as unknown };
    const slots: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number }> = [];
    const collect = (holder: Record<string, unknown> | unknown[], key: string | number): void => {
      slots.push({ holder, key });
      const v = (holder as Record<string | number, unknown>)[key];
      if (Array.isArray(v)) v.forEach((_, i) => collect(v, i));
      else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) collect(v as Record<string, unknown>, k);
    };
    collect(root, 'v');
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const { holder, key } = rng.pick(slots);
      const h = holder as Record<string | number, unknown>;
      switch (rng.int(5)) {
        case 0:
          if (Array.isArray(holder)) holder.splice(Number(key), 1);
          else delete h[key];
          break;
        case 1:
          // A copy: a shared replacement could later receive itself as a property and form a cycle.
          h[key] = structuredClone(rng.pick(replacements));
          break;
        case 2:
          h[key] = typeof h[key] === 'string' ? Number(h[key]) || 7 : typeof h[key] === 'number' ? String(h[key]) : [h[key]];
          break;
        case 3:
          if (h[key] !== null && typeof h[key] === 'object' && !Array.isArray(h[key])) {
            // defineProperty, as JSON.parse does: a plain assignment to __proto__ would set the prototype.
            Object.defineProperty(h[key], rng.pick(['customData', 'x_ext', '__proto__', 'constructor', 'idTag']), {
              value: structuredClone(rng.pick(replacements)),
              enumerable: true,
              configurable: true,
              writable: true,
            });
          }
          break;
        default:
          h[key] = null;
      }
    }
    return root.v;
  }

  it('on arbitrary bytes, strings and JSON values', async () => {
    const t = transform(['analytics', 'roaming']);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(input, { maxLength: 20 }), async (inputs) => {
        check(inputs, await t.run(inputs.map((value, i) => ({ value, eventId: `fuzz:${i}` }))));
      }),
      { numRuns: 100 },
    );
  });

  it('on mutated valid envelopes of every catalogued message, analytics and roaming', async () => {
    const t = transform(['analytics', 'roaming']);
    const statuses = new Set<string>();
    const anyMessage = fc.oneof(...CATALOG.map((entry) => payloadArb(entry).map((payload) => ({ entry, payload }))));
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyMessage, { minLength: 1, maxLength: 10 }),
        seed,
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 5 }),
        async (payloads, s, replacements) => {
          const rng = new Rng(s);
          const lines = buildCases(payloads, s).map((c) => {
            const parsed = JSON.parse(c.line) as unknown;
            switch (rng.int(4)) {
              case 0:
                return c.line; // unmutated
              case 1:
                return c.line.slice(0, rng.int(c.line.length)); // truncated
              default:
                return JSON.stringify(mutate(parsed, rng, replacements)) ?? 'null';
            }
          });
          const results = await t.run(lines.map((value, i) => ({ value, eventId: `mut:${i}` })));
          check(lines, results);
          for (const r of results) statuses.add(r.status);
        },
      ),
      { numRuns: 80 },
    );
    // Mutations must reach every branch: still valid, skipped, and refused.
    expect([...statuses].sort()).toEqual(['emitted', 'quarantined', 'skipped']);
  });
});
