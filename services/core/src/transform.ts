import { buildAnalytics, extractAnalytics, type AnalyticsExtraction, type ChargingSessionEvent } from './audiences/analytics';
import { buildRoaming, issuerError, roamingDecisions, type RoamingRecord } from './audiences/roaming';
import { CANONICAL_FIELDS, catalogKey, type FieldRule, type MessageCatalog } from './catalog/types';
import type { Envelope, LocationNotice } from './envelope';
import { AmpsealError, type ReasonCode } from './errors';
import type { CompiledPolicy } from './policy';
import type { CooccurrenceGroup, SiteLinks, TokenOutcome, TokenRequest, TokenSource } from './tokens';
import { compileMessage, type CompiledMessage } from './walker';

export type Audience = 'analytics' | 'roaming';

export interface InputRecord {
  /** The raw record as read (Kafka value or NDJSON line). */
  readonly value: Buffer | string | null;
  /** Stable id of the input position (topic-partition-offset, or file line). */
  readonly eventId: string;
}

/** Where an input failed: a JSON pointer and the rule, never the value (quarantine records and headers carry it). */
export interface FailureLocation {
  readonly pointer?: string;
  readonly keyword?: string;
}

export type ParseResult =
  | { ok: true; envelope: Envelope }
  | { ok: true; location: LocationNotice }
  | { ok: false; error: { reason: ReasonCode } & FailureLocation };

export type SkipReason = 'call_error' | 'not_catalogued' | 'no_session_event' | 'not_for_audience';

export type RecordResult =
  | ({ readonly status: 'quarantined'; readonly reason: ReasonCode } & FailureLocation)
  | { readonly status: 'skipped'; readonly why: SkipReason; readonly droppedFields: number }
  | {
      readonly status: 'emitted';
      readonly analytics?: ChargingSessionEvent;
      readonly roaming?: RoamingRecord;
      readonly droppedFields: number;
    };

export interface TransformOptions {
  readonly catalog: readonly MessageCatalog[];
  readonly policy: CompiledPolicy;
  readonly tokens: TokenSource;
  readonly parse: (raw: Buffer | string) => ParseResult;
  readonly audiences: readonly Audience[];
  /** When given, records of any other tenant are quarantined as `unknown_tenant`. */
  readonly tenants?: ReadonlySet<string>;
  /** How far a payload time may be ahead of receivedAt before the record is quarantined (default 5 minutes). */
  readonly maxClockSkewMs?: number;
}

/**
 * What an event keeps while the batch waits for its tokens. Not the envelope: under a small V8 young
 * generation everything alive across that await is promoted to the old generation, and the parsed JSON trees
 * of a whole batch were most of it (measured: GC took 43% of the pipeline's main thread with the heap Node
 * sizes for a 512Mi pod). The roaming record needs no token, so it is built before the await.
 */
interface Pending {
  readonly message: CompiledMessage;
  readonly extraction?: AnalyticsExtraction;
  /** Index of each identifier's request in the batch's token request list. */
  readonly requestIndex: number[];
  readonly roaming?: RoamingRecord;
  readonly roamingDroppedFields: number;
}

/**
 * Per record with two or more distinct tokenized subjects, the group of them. An ERASED or RESTRICTED subject is left
 * out: no new link is recorded for a subject whose processing is erased or restricted.
 */
function cooccurrenceGroups(
  pendings: ReadonlyArray<Pending | undefined>,
  requests: readonly TokenRequest[],
  outcomes: readonly TokenOutcome[],
): CooccurrenceGroup[] {
  const groups: CooccurrenceGroup[] = [];
  for (const pending of pendings) {
    if (pending === undefined || pending.requestIndex.length < 2) continue;
    let subjects: Array<CooccurrenceGroup['subjects'][number]> | undefined;
    let tenant = '';
    let seen: number[] | undefined;
    for (const index of pending.requestIndex) {
      const outcome = outcomes[index]!;
      if (outcome.status !== 'TOKENIZED') continue;
      const { subject } = requests[index]!;
      // The same subject at one time is one request (deduplicated); the same subject twice in a record is one member.
      if (seen?.some((i) => requests[i]!.subject.kind === subject.kind && requests[i]!.subject.value === subject.value)) continue;
      (seen ??= []).push(index);
      (subjects ??= []).push({ kind: subject.kind, value: subject.value, token: outcome.token });
      tenant = subject.tenant;
    }
    if (subjects !== undefined && subjects.length >= 2) groups.push({ tenant, subjects });
  }
  return groups;
}

/** A record parsed and routed, until its extraction. Alive only within one synchronous stretch of `run`. */
interface Parsed {
  readonly envelope: Envelope;
  readonly message: CompiledMessage;
}

/**
 * The one transform both file mode and stream mode call (design §1): parse → validate → normalize →
 * tokenize → minimize per audience. Pure but for one `tokens()` call per batch, so a batch costs one key
 * ring round trip however many events and identifiers it holds.
 */
export class Transform {
  private readonly messages = new Map<string, CompiledMessage>();
  private readonly roamingKeep = new Map<string, (rule: FieldRule) => boolean>();
  private readonly analytics: boolean;
  private readonly roaming: boolean;

  constructor(private readonly options: TransformOptions) {
    // All catalog work happens here, once: walkers per message, roaming decisions per row.
    for (const entry of options.catalog) {
      const compiled = compileMessage(entry);
      this.messages.set(entry.key, compiled);
      if (entry.source === 'ocpi2.2.1') this.roamingKeep.set(entry.key, roamingDecisions(compiled, options.policy));
    }
    this.analytics = options.audiences.includes('analytics');
    this.roaming = options.audiences.includes('roaming');
  }

  async run(records: readonly InputRecord[]): Promise<RecordResult[]> {
    // A record's state per stage in an array of its own: one array of mixed shapes made every `'status' in x` test
    // a megamorphic lookup, a few per cent of the transform's time. A record is in exactly one of them at a time.
    const results: Array<RecordResult | undefined> = new Array(records.length);
    const parsedAt: Array<Parsed | undefined> = new Array(records.length);
    const pendingAt: Array<Pending | undefined> = new Array(records.length);
    const tenants = new Set<string>();
    let learned: Map<string, Set<string>> | undefined;
    const learn = (tenant: string, sites: readonly string[]) => {
      learned ??= new Map();
      let known = learned.get(tenant);
      if (known === undefined) learned.set(tenant, (known = new Set()));
      for (const site of sites) known.add(site);
    };
    const locations: LocationNotice[] = [];

    // 1. Parse, validate, route to a catalog entry.
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!.value;
      if (raw === null) {
        results[i] = { status: 'quarantined', reason: 'bad_json' };
        continue;
      }
      const parsed = this.options.parse(raw);
      if (!parsed.ok) {
        const { reason, pointer, keyword } = parsed.error;
        results[i] = { status: 'quarantined', reason, pointer, keyword };
        continue;
      }
      if ('location' in parsed) {
        // No audience gets a Location; an unpublished one teaches its ids as private sites.
        const { location } = parsed;
        if (this.options.tenants !== undefined && !this.options.tenants.has(location.tenant)) {
          results[i] = { status: 'quarantined', reason: 'unknown_tenant' };
          continue;
        }
        if (this.analytics && location.privateSites.length > 0) {
          tenants.add(location.tenant);
          locations.push(location);
        }
        results[i] = { status: 'skipped', why: 'not_for_audience', droppedFields: 0 };
        continue;
      }
      const envelope = parsed.envelope;
      if (this.options.tenants !== undefined && !this.options.tenants.has(envelope.tenant)) {
        results[i] = { status: 'quarantined', reason: 'unknown_tenant' };
        continue;
      }
      if (envelope.source !== 'ocpi2.2.1' && envelope.messageType === 'CALLERROR') {
        results[i] = { status: 'skipped', why: 'call_error', droppedFields: 0 };
        continue;
      }
      const key =
        envelope.source === 'ocpi2.2.1'
          ? catalogKey(envelope.source, envelope.module)
          : catalogKey(envelope.source, envelope.action, envelope.direction);
      const message = this.messages.get(key);
      if (message === undefined) {
        // Valid, but the catalog does not describe it: nothing of it may reach an audience.
        results[i] = { status: 'skipped', why: 'not_catalogued', droppedFields: 0 };
        continue;
      }
      // A Session/CDR whose token issuer (its roaming routing key) is malformed: quarantined for every audience.
      const badIssuer = issuerError(envelope);
      if (badIssuer !== undefined) {
        results[i] = { status: 'quarantined', reason: badIssuer.reason, pointer: badIssuer.pointer, keyword: badIssuer.keyword };
        continue;
      }
      if (this.analytics && message.entry.eventType !== undefined) tenants.add(envelope.tenant);
      parsedAt[i] = { envelope, message };
    }

    // 2. The link keys of the batch's tenants: in memory after a tenant's first batch, so no round trip.
    // A tenant whose root key KMS refuses (no alias, disabled, access denied) fails record by record: its records are
    // quarantined with the reason and every other tenant's flow on. A retriable failure fails the batch (fail closed).
    const linksOf = new Map<string, SiteLinks>();
    const refused = new Map<string, ReasonCode>();
    for (const tenant of tenants) {
      try {
        linksOf.set(tenant, await this.options.tokens.links(tenant));
      } catch (err) {
        if (!(err instanceof AmpsealError) || err.retriable || err.stage !== 'record') throw err;
        refused.set(tenant, err.reason);
      }
    }
    if (refused.size > 0) {
      for (let i = 0; i < records.length; i++) {
        const parsed = parsedAt[i];
        // Only records that needed the tenant's keys; the others (heartbeats, Tokens) are skipped as ever.
        const tenant = parsed !== undefined && parsed.message.entry.eventType !== undefined ? parsed.envelope.tenant : undefined;
        const reason = tenant === undefined ? undefined : refused.get(tenant);
        if (reason !== undefined) {
          parsedAt[i] = undefined;
          results[i] = { status: 'quarantined', reason };
        }
      }
      for (let i = locations.length - 1; i >= 0; i--) if (refused.has(locations[i]!.tenant)) locations.splice(i, 1);
    }

    // 3. Extract per audience; collect the token requests and the private sites learned.
    const requests: TokenRequest[] = [];
    const requestIds = new Map<string, number[]>();
    for (const location of locations) {
      const links = linksOf.get(location.tenant)!;
      const fresh = location.privateSites.filter((site) => !links.isPrivate(site));
      if (fresh.length > 0) learn(location.tenant, fresh);
    }
    for (let i = 0; i < records.length; i++) {
      const parsed = parsedAt[i];
      if (parsed === undefined) continue;
      parsedAt[i] = undefined;
      const { envelope, message } = parsed;
      let extraction: AnalyticsExtraction | undefined;
      if (this.analytics) {
        const extracted = extractAnalytics(envelope, message, this.options.policy, linksOf.get(envelope.tenant)!, this.options.maxClockSkewMs);
        if (extracted !== undefined && 'failure' in extracted) {
          results[i] = { status: 'quarantined', ...extracted.failure };
          continue;
        }
        extraction = extracted;
      }
      const requestIndex: number[] = [];
      if (extraction) {
        for (const id of extraction.identifiers) {
          // The same subject at the same time is one request. Keyed by kind and value only (no number formatting of
          // the time per identifier); the few requests of one value in a batch are told apart by tenant and time.
          const dedupe = `${id.kind}\u0000${id.value}`;
          const same = requestIds.get(dedupe);
          let index: number | undefined;
          if (same !== undefined) {
            for (const k of same) {
              const r = requests[k]!;
              if (r.at === extraction.at && r.subject.tenant === envelope.tenant) {
                index = k;
                break;
              }
            }
          }
          if (index === undefined) {
            index = requests.length;
            if (same === undefined) requestIds.set(dedupe, [index]);
            else same.push(index);
            // keyring SPEC K44: a tenant with a linkability window gets epoch tokens; one without, today's tokens.
            const linkability = this.options.policy.tenants.get(envelope.tenant)?.linkability;
            const subject = { tenant: envelope.tenant, kind: id.kind, value: id.value };
            requests.push(
              linkability === undefined
                ? { subject, at: extraction.at }
                : { subject, at: extraction.at, epoch: linkability },
            );
          }
          requestIndex.push(index);
        }
        if (extraction.learnedSites !== undefined) learn(envelope.tenant, extraction.learnedSites);
      }
      let roaming: RoamingRecord | undefined;
      let roamingDroppedFields = 0;
      if (this.roaming && envelope.source === 'ocpi2.2.1') {
        const built = buildRoaming(envelope, message, this.roamingKeep.get(message.entry.key)!);
        roaming = built.record;
        roamingDroppedFields = built.droppedFields;
      }
      pendingAt[i] = { message, extraction, requestIndex, roaming, roamingDroppedFields };
    }

    // 4. One key-ring call for the batch's subjects; learned sites are stored before any output leaves, so a
    // restart cannot forget a home that a committed record already revealed as one.
    const [outcomes] = await Promise.all([
      requests.length > 0 ? this.options.tokens.tokens(requests) : Promise.resolve<TokenOutcome[]>([]),
      ...[...(learned ?? [])].map(([tenant, sites]) => this.options.tokens.learnPrivateSites(tenant, [...sites])),
    ]);

    // 5. The identifiers each record carried together (a CDR's card and contract id), once per batch: one more key-ring
    // call, and none when the key ring wrote every group recently (keyring SPEC K37).
    if (this.options.tokens.cooccurred !== undefined) {
      const groups = cooccurrenceGroups(pendingAt, requests, outcomes);
      if (groups.length > 0) await this.options.tokens.cooccurred(groups);
    }

    for (let i = 0; i < records.length; i++) {
      const pending = pendingAt[i];
      if (pending !== undefined) results[i] = this.finish(pending, outcomes, records[i]!.eventId);
    }
    return results as RecordResult[];
  }

  private finish(pending: Pending, outcomes: readonly TokenOutcome[], eventId: string): RecordResult {
    const { message, extraction, roaming } = pending;
    let analytics: ChargingSessionEvent | undefined;
    let droppedFields = extraction?.droppedFields ?? 0;
    if (extraction) {
      const mine = pending.requestIndex.map((index) => outcomes[index]!);
      analytics = buildAnalytics(extraction, mine, this.options.policy, eventId, CANONICAL_FIELDS);
    }
    droppedFields = Math.max(droppedFields, pending.roamingDroppedFields);
    if (analytics === undefined && roaming === undefined) {
      const why = this.analytics && message.entry.eventType === undefined ? 'no_session_event' : 'not_for_audience';
      return { status: 'skipped', why, droppedFields };
    }
    return { status: 'emitted', analytics, roaming, droppedFields };
  }
}
