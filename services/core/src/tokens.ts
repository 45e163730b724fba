import type { Subject } from './identifiers';

/** The analytics schema's TokenStatus enum: what became of one identifier of a record. */
export type { TokenStatus } from '@ampseal/schemas';

export type TokenOutcome =
  | { readonly status: 'TOKENIZED'; readonly token: string }
  | { readonly status: 'ERASED' }
  | { readonly status: 'RESTRICTED' }
  /** The event's linkability epoch is older than the tenant's retention (keyring SPEC K46): no token, ever. */
  | { readonly status: 'EXPIRED' };

/** The tenant's linkability (policy `tenants.<t>.linkability`) as a token request carries it (keyring SPEC K44). */
export interface EpochSpec {
  readonly windowMs: number;
  readonly retentionMs: number;
}

export interface TokenRequest {
  readonly subject: Subject;
  /**
   * Event time (epoch ms) of the record that carries the identifier. Replay safety (design §5): a subject
   * erased at `erasedAt` gets no token for events at or before it, and a fresh generation after it.
   */
  readonly at: number;
  /**
   * The tenant's linkability window and retention; absent: tokens do not depend on time (keyring SPEC K44). The epoch
   * is taken from `at`, the same event time the erasure rule uses.
   */
  readonly epoch?: EpochSpec;
}

/**
 * The subjects one record carried together, each with the token it got (keyring SPEC K37): the key ring keeps that
 * they co-occurred, as blind indexes, so an erasure can find the same person's other identifiers.
 */
export interface CooccurrenceGroup {
  readonly tenant: string;
  readonly subjects: ReadonlyArray<{ readonly kind: Subject['kind']; readonly value: string; readonly token: string }>;
}

/**
 * Operational ids that deployments fill with serials, card numbers, contract ids or owners' names (a station
 * named `garage-<surname>`, a transaction id `<uid>-<timestamp>`): analytics gets them only as **link tokens**,
 * keyed per tenant, so it can still count sessions per station and join a Session to its CDR, but never reads
 * the value. One scope per kind of id, so equal strings in two scopes do not join.
 */
export type LinkScope = 'station' | 'transaction' | 'reservation' | 'location' | 'evse';

/** A tenant's link keys for one batch (see `TokenSource.links`). Synchronous: the keys are already in memory. */
export interface SiteLinks {
  /**
   * The link token of an operational id. `privateSite` tokens come from a domain of their own: a home charger's
   * records never carry the token its id would get as a public station, so they never join public-station
   * analytics, nor the records seen before the site was known to be private.
   */
  token(scope: LinkScope, value: string, privateSite: boolean): string;
  /** Whether this id (of a station, location or EVSE, in any scope) was learned as a private site. */
  isPrivate(value: string): boolean;
}

/**
 * What the transform needs from a key ring: the token outcome of each subject of a batch, in one call
 * (design §4: Redis round trips are batched per consumed batch, not per event), and the tenant's link keys.
 */
export interface TokenSource {
  /** Outcomes in the order of `requests`. Rejects with a retriable AmpsealError when a store is down. */
  tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]>;
  /**
   * The tenant's link keys. Resolves at once when the tenant's key set is loaded; rejects with a retriable
   * AmpsealError when a store is down, like `tokens`.
   */
  links(tenant: string): Promise<SiteLinks>;
  /**
   * Remembers ids of private sites learned from the stream (a home-charging CDR, an unpublished OCPI Location),
   * persistently and for every instance, so later records at that site get the private treatment. Only a keyed
   * hash of each id is stored.
   */
  learnPrivateSites(tenant: string, values: readonly string[]): Promise<void>;
  /**
   * Records which subjects were seen in one record (a CDR's card and contract id, a frame's idToken and vehicle), once
   * per batch after `tokens`. Optional: a token source without a co-occurrence index ignores it.
   */
  cooccurred?(groups: readonly CooccurrenceGroup[]): Promise<void>;
}
