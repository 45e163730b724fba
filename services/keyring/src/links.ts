import type { LinkScope, SiteLinks } from '@ampseal/core';
import { linkToken, siteHash } from './crypto';

/**
 * A tenant's link tokenizer (SPEC K33–K36). Link tokens and site hashes are HMACs per id; operational ids repeat a
 * lot (a station's id is on every record it sends, a transaction id on each of its meter values), so both are
 * cached. The bound is a plain clear-when-full: a full cache costs one HMAC per id again, never a wrong answer.
 */
export class TenantLinks implements SiteLinks {
  private readonly cache = new Map<string, string>();
  private sites: ReadonlySet<string>;

  constructor(
    private readonly key: Buffer,
    sites: Iterable<string>,
    private readonly cacheSize: number,
  ) {
    this.sites = new Set(sites);
  }

  token(scope: LinkScope, value: string, privateSite: boolean): string {
    const cacheKey = `${privateSite ? 'P' : 'O'}${scope}\0${value}`;
    let token = this.cache.get(cacheKey);
    if (token === undefined) {
      token = linkToken(this.key, privateSite, scope, value);
      this.remember(cacheKey, token);
    }
    return token;
  }

  isPrivate(value: string): boolean {
    // No private site learned (the common case): no HMAC at all.
    return this.sites.size > 0 && this.sites.has(this.hash(value));
  }

  /** The site hash of an id, for storing a learned site (K35). */
  hash(value: string): string {
    const cacheKey = `S${value}`;
    let hash = this.cache.get(cacheKey);
    if (hash === undefined) {
      hash = siteHash(this.key, value);
      this.remember(cacheKey, hash);
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
    this.cache.clear();
  }

  private remember(cacheKey: string, value: string): void {
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(cacheKey, value);
  }
}
