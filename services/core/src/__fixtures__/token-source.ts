import { createHmac } from 'node:crypto';
import type { CooccurrenceGroup, LinkScope, SiteLinks, TokenOutcome, TokenRequest, TokenSource } from '../tokens';

/**
 * A deterministic TokenSource for pure unit tests of the transform (the real key rings live in
 * @ampseal/keyring and are tested there against Redis and KMS). Counts calls so tests can prove batching.
 */
export class FixedKeyTokenSource implements TokenSource {
  calls = 0;
  requests = 0;
  readonly erased = new Map<string, number>();

  async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    this.calls++;
    this.requests += requests.length;
    return requests.map(({ subject, at }) => {
      const erasedAt = this.erased.get(`${subject.kind}:${subject.value}`);
      if (erasedAt !== undefined && at <= erasedAt) return { status: 'ERASED' } as const;
      const mac = createHmac('sha256', 'unit-test-key').update(`${subject.tenant}\0${subject.kind}\0${subject.value}`);
      return { status: 'TOKENIZED', token: mac.digest().subarray(0, 16).toString('base64url') } as const;
    });
  }

  /** Private sites learned, per tenant (clear here: a unit-test double; the real key rings store keyed hashes). */
  readonly learned = new Map<string, Set<string>>();
  learnCalls = 0;

  async links(tenant: string): Promise<SiteLinks> {
    const learned = this.learned.get(tenant);
    return {
      token: (scope: LinkScope, value: string, privateSite: boolean) =>
        createHmac('sha256', 'unit-test-link-key')
          .update(`${tenant}\0${privateSite ? 'private' : 'public'}\0${scope}\0${value}`)
          .digest()
          .subarray(0, 16)
          .toString('base64url'),
      isPrivate: (value: string) => learned?.has(value) === true,
    };
  }

  /** Co-occurrence groups, one array per call (keyring SPEC K37). */
  readonly cooccurrences: CooccurrenceGroup[][] = [];

  async cooccurred(groups: readonly CooccurrenceGroup[]): Promise<void> {
    this.cooccurrences.push([...groups]);
  }

  async learnPrivateSites(tenant: string, values: readonly string[]): Promise<void> {
    this.learnCalls++;
    let set = this.learned.get(tenant);
    if (set === undefined) this.learned.set(tenant, (set = new Set()));
    for (const v of values) set.add(v);
  }
}
