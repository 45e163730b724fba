import type { LinkScope, SiteLinks } from '@ampseal/core';
import { linkToken, siteHash } from './crypto';

/**
 * A tenant's link tokenizer (SPEC K33–K36). Link tokens and site hashes are HMACs per id; operational ids repeat a
 * lot (a station's id is on every record it sends, a transaction id on each of its meter values), so both are
 * cached. The bound is a plain clear-when-full: a full cache costs one HMAC per id again, never a wrong answer.
 */
export class TenantLinks implements SiteLinks {
  /**
   * One map per domain and scope, keyed by the id itself, plus one of site hashes: a composite key string built per
   * look-up (`P` + scope + value) cost a concatenation and a fresh hash on every operational id of every record.
   */
  private readonly tokens = new Map<string, Map<string, string>>();
  private readonly hashes = new Map<string, string>();
  private size = 0;
  private sites: ReadonlySet<string>;

  constructor(
    private readonly key: Buffer,
    sites: Iterable<string>,
    private readonly cacheSize: number,
  ) {
    this.sites = new Set(sites);
  }

  token(scope: LinkScope, value: string, privateSite: boolean): string {
    const domain = privateSite ? `P${scope}` : scope;
    let token = this.tokens.get(domain)?.get(value);
    if (token === undefined) {
      token = linkToken(this.key, privateSite, scope, value);
      this.makeRoom(); // may clear every map: the domain's map is looked up after it
      let byValue = this.tokens.get(domain);
      if (byValue === undefined) this.tokens.set(domain, (byValue = new Map()));
      byValue.set(value, token);
    }
    return token;
  }

  isPrivate(value: string): boolean {
    // No private site learned (the common case): no HMAC at all.
    return this.sites.size > 0 && this.sites.has(this.hash(value));
  }

  /** The site hash of an id, for storing a learned site (K35). */
  hash(value: string): string {
    let hash = this.hashes.get(value);
    if (hash === undefined) {
      hash = siteHash(this.key, value);
      this.makeRoom();
      this.hashes.set(value, hash);
    }
    return hash;
  }

  /** The learned sites as the store now holds them (K36: reloaded every refresh period). */
  replaceSites(sites: Iterable<string>): void {
    this.sites = new Set(sites);
  }

  addSites(hashes: readonly string[]): void {
    const next = new Set(this.sites);
    for (const h of hashes) next.add(h);
    this.sites = next;
  }

  /** K11 in spirit: the derived key is zeroed with the key set on stop. */
  destroy(): void {
    this.key.fill(0);
    this.clear();
  }

  /** Bounded by a plain clear-when-full over every map (the per-domain maps are re-made on demand). */
  private makeRoom(): void {
    if (this.size >= this.cacheSize) this.clear();
    this.size++;
  }

  private clear(): void {
    this.tokens.clear();
    this.hashes.clear();
    this.size = 0;
  }
}
