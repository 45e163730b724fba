import { AmpsealError, TENANT_RULE, type SiteLinks } from '@ampseal/core';
import { linkKey } from './crypto';
import { isTenantName, type KeySetSource, type TenantKeySet } from './key-set';
import type { KeyRingLogger } from './keyring';
import { TenantLinks } from './links';
import type { SubjectStore } from './store';

/**
 * Tenant key sets in process memory (SPEC K2, K4) and what derives from them: the link tokenizer and the learned
 * private sites (K33–K36). KMS is reached only through the key-set source, so only from here (K5).
 */
export interface KeySetOptions {
  readonly keySetRefreshMs: number;
  /** K36: how often the learned private sites are re-read, so a site another instance learned applies here. */
  readonly siteRefreshMs?: number;
  /** Link tokens and site hashes cached per tenant (TenantLinks). */
  readonly linkCacheSize?: number;
  readonly logger?: KeyRingLogger;
}

const DEFAULT_SITE_REFRESH_MS = 30_000;
const DEFAULT_LINK_CACHE_SIZE = 20_000;

export class KeySets {
  private readonly keySets = new Map<string, { readonly keys: TenantKeySet; readonly loadedAt: number }>();
  private readonly loading = new Map<string, Promise<TenantKeySet>>();
  private readonly siteLinks = new Map<string, { keys: TenantKeySet; links: TenantLinks; loadedAt: number }>();
  private readonly siteLoading = new Map<string, Promise<TenantLinks>>();

  constructor(
    private readonly source: KeySetSource,
    private readonly store: SubjectStore,
    private readonly options: KeySetOptions,
    private readonly clock: () => number,
    /** Called when a tenant's stored key set was replaced: tokens cached under the old one are void. */
    private readonly onReplaced: (tenant: string) => number,
  ) {
    if (!(options.keySetRefreshMs > 0)) throw new AmpsealError('CONFIG_INVALID', 'key-set refresh period must be positive');
  }

  /** K4: the tenant's key set, unwrapped at first use and again once older than keySetRefreshMs. */
  keySet(tenant: string, now: number): Promise<TenantKeySet> {
    const current = this.keySets.get(tenant);
    if (current !== undefined && now - current.loadedAt < this.options.keySetRefreshMs) {
      return Promise.resolve(current.keys);
    }
    let loading = this.loading.get(tenant);
    if (loading === undefined) {
      loading = this.loadKeySet(tenant, now).finally(() => this.loading.delete(tenant));
      this.loading.set(tenant, loading);
    }
    return loading;
  }

  /**
   * K33–K36: the tenant's link tokenizer. After the first call per refresh period it costs no round trip: the key
   * set is in memory and the learned private sites are re-read every `siteRefreshMs`.
   */
  links(tenant: string): Promise<SiteLinks> {
    const now = this.clock();
    const current = this.siteLinks.get(tenant);
    const keys = this.keySets.get(tenant);
    if (
      current !== undefined &&
      keys !== undefined &&
      current.keys === keys.keys &&
      now - keys.loadedAt < this.options.keySetRefreshMs &&
      now - current.loadedAt < (this.options.siteRefreshMs ?? DEFAULT_SITE_REFRESH_MS)
    ) {
      return Promise.resolve(current.links);
    }
    let loading = this.siteLoading.get(tenant);
    if (loading === undefined) {
      loading = this.loadLinks(tenant, now).finally(() => this.siteLoading.delete(tenant));
      this.siteLoading.set(tenant, loading);
    }
    return loading;
  }

  async learnPrivateSites(tenant: string, values: readonly string[]): Promise<void> {
    if (values.length === 0) return;
    const links = (await this.links(tenant)) as TenantLinks;
    const hashes = values.map((v) => links.hash(v));
    // Stored before the batch's outputs are produced (the transform awaits this), so no committed record reveals a
    // home that a restarted instance would not know.
    await this.store.addPrivateSites(tenant, hashes);
    links.addSites(hashes);
  }

  /** K11: best effort; a batch still in flight after stop() fails rather than using zeroed keys silently. */
  destroy(): void {
    for (const { links } of this.siteLinks.values()) links.destroy();
    this.siteLinks.clear();
    for (const { keys } of this.keySets.values()) {
      keys.wrappingKey.fill(0);
      keys.indexKey.fill(0);
    }
    this.keySets.clear();
  }

  private async loadLinks(tenant: string, now: number): Promise<TenantLinks> {
    const keys = await this.keySet(tenant, now);
    const sites = await this.store.privateSites(tenant);
    const current = this.siteLinks.get(tenant);
    if (current !== undefined && current.keys === keys) {
      current.links.replaceSites(sites);
      current.loadedAt = now;
      return current.links;
    }
    current?.links.destroy();
    const links = new TenantLinks(linkKey(keys.indexKey), sites, this.options.linkCacheSize ?? DEFAULT_LINK_CACHE_SIZE);
    this.siteLinks.set(tenant, { keys, links, loadedAt: now });
    return links;
  }

  private async loadKeySet(tenant: string, now: number): Promise<TenantKeySet> {
    if (!isTenantName(tenant)) throw new AmpsealError('BAD_TENANT', `tenant must be ${TENANT_RULE}`);
    const keys = await this.source.load(tenant);
    const previous = this.keySets.get(tenant);
    if (previous !== undefined && previous.keys.fingerprint !== keys.fingerprint) {
      // The stored key set was replaced (a wiped or restored Redis): tokens cached under the old one are void.
      const evicted = this.onReplaced(tenant);
      this.options.logger?.warn({ event: 'keyring.keyset.replaced', tenant, evicted });
    }
    this.keySets.set(tenant, { keys, loadedAt: now });
    this.options.logger?.info({ event: previous === undefined ? 'keyring.keyset.loaded' : 'keyring.keyset.refreshed', tenant });
    return keys;
  }
}
