import { parse as parseYaml } from 'yaml';
import { isRecord, isTenant, TENANT_RULE } from '@ampseal/core';
import { invalid, type Env } from './read';
import { fileText } from './secret';

/**
 * Tenant keys where the tenant says (AMPSEAL_TENANT_KEYS_FILE): each tenant names its KMS key (alias or key ARN) and the
 * region that holds it, so an EEA tenant's key sets are generated and unwrapped only by a KMS in an EEA region. One
 * KMS client per region; an emulator or a VPC endpoint is named per region, never shared across regions.
 *
 * ```yaml
 * regions:                      # optional: endpoints (local-kms, VPC endpoints); absent: AWS's regional endpoint
 *   eu-central-1: { endpoint: https://vpce-0123.kms.eu-central-1.vpce.amazonaws.com }
 * tenants:
 *   acme-cpo:    { region: eu-central-1, key: alias/ampseal/acme-cpo }
 *   voltway-cpo: { region: eu-west-1, key: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab }
 * ```
 */
export interface TenantKey {
  /** An alias (`alias/…`) or a key or alias ARN of the same region. */
  readonly key: string;
  readonly region: string;
}

export interface TenantKeys {
  readonly tenants: ReadonlyMap<string, TenantKey>;
  /** Region → endpoint URL, for the regions the file names one for. */
  readonly endpoints: ReadonlyMap<string, string>;
}

const VARIABLE = 'AMPSEAL_TENANT_KEYS_FILE';
export const REGION_FORM = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
// arn:<partition>:kms:<region>:<account>:key/<id> or :alias/<name>
const ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):(key\/[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_-]{1,250})$/;

/** Problems name the tenant or region and the field, never a secret (the file holds none). */
export function parseTenantKeys(text: string, emulator: boolean): TenantKeys {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch {
    return invalid(VARIABLE, 'a YAML file of regions and tenants (not valid YAML)');
  }
  if (!isRecord(raw)) return invalid(VARIABLE, 'a mapping with tenants (and optionally regions)');
  for (const key of Object.keys(raw)) if (key !== 'tenants' && key !== 'regions') invalid(VARIABLE, `unknown key ${key} (expected tenants, regions)`);
  const endpoints = new Map<string, string>();
  const regions = raw.regions ?? {};
  if (!isRecord(regions)) invalid(VARIABLE, 'regions: a mapping of region → { endpoint }');
  for (const [region, settings] of Object.entries(regions)) {
    if (!REGION_FORM.test(region)) invalid(VARIABLE, `regions.${region}: not an AWS region such as eu-central-1`);
    if (!isRecord(settings) || Object.keys(settings).some((k) => k !== 'endpoint')) invalid(VARIABLE, `regions.${region}: expected { endpoint: URL }`);
    if (settings.endpoint === undefined) continue;
    let url: URL;
    try {
      url = new URL(String(settings.endpoint));
    } catch {
      return invalid(VARIABLE, `regions.${region}.endpoint: a URL`);
    }
    // Data keys in clear text travel on this connection: plain http only to a declared emulator (as AMPSEAL_KMS_ENDPOINT).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && emulator)) invalid(VARIABLE, `regions.${region}.endpoint: an https URL (or AMPSEAL_KMS_EMULATOR=true for local-kms)`);
    endpoints.set(region, url.toString());
  }
  const tenantsRaw = raw.tenants;
  if (!isRecord(tenantsRaw) || Object.keys(tenantsRaw).length === 0) invalid(VARIABLE, 'tenants: a mapping of tenant → { region, key } with at least one tenant');
  const tenants = new Map<string, TenantKey>();
  for (const [tenant, entry] of Object.entries(tenantsRaw)) {
    if (!isTenant(tenant)) invalid(VARIABLE, `tenants: a tenant name must be ${TENANT_RULE}`);
    if (!isRecord(entry) || Object.keys(entry).some((k) => k !== 'region' && k !== 'key')) invalid(VARIABLE, `tenants.${tenant}: expected { region, key }`);
    const region = entry.region;
    if (typeof region !== 'string' || !REGION_FORM.test(region)) invalid(VARIABLE, `tenants.${tenant}.region: an AWS region such as eu-central-1`);
    const key = entry.key;
    if (typeof key !== 'string' || !(ALIAS.test(key) || ARN.test(key))) invalid(VARIABLE, `tenants.${tenant}.key: an alias (alias/…) or a KMS key or alias ARN`);
    const arnRegion = ARN.exec(key)?.[1];
    // A key ARN names its region: another region's key would be reached across regions (or not at all).
    if (arnRegion !== undefined && arnRegion !== region) invalid(VARIABLE, `tenants.${tenant}.key: the ARN's region ${arnRegion} is not the tenant's region ${region}`);
    tenants.set(tenant, Object.freeze({ key, region }));
  }
  return Object.freeze({ tenants, endpoints });
}

export function readTenantKeys(env: Env, emulator: boolean): TenantKeys | undefined {
  if (!env[VARIABLE]?.trim()) return undefined;
  return parseTenantKeys(fileText(env, VARIABLE), emulator);
}
