import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index';
import { parseTenantKeys } from './tenant-keys';

const TWO_REGIONS = `
regions:
  eu-central-1: { endpoint: "https://vpce-1.kms.eu-central-1.vpce.amazonaws.com" }
tenants:
  acme-cpo: { region: eu-central-1, key: alias/ampseal/acme-cpo }
  voltway-cpo: { region: eu-west-1, key: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
`;

function refusal(text: string, emulator = false): string {
  try {
    parseTenantKeys(text, emulator);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('AMPSEAL_ERR_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('AMPSEAL_TENANT_KEYS_FILE (keyring SPEC K51)', () => {
  it('reads each tenant’s key (alias or ARN) and region, and per-region endpoints', () => {
    const keys = parseTenantKeys(TWO_REGIONS, false);
    expect([...keys.tenants]).toEqual([
      ['acme-cpo', { region: 'eu-central-1', key: 'alias/ampseal/acme-cpo' }],
      ['voltway-cpo', { region: 'eu-west-1', key: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }],
    ]);
    expect([...keys.endpoints]).toEqual([['eu-central-1', 'https://vpce-1.kms.eu-central-1.vpce.amazonaws.com/']]);
  });

  it.each([
    ['tenants: {}', /at least one tenant/],
    ['tenants:\n  acme-cpo: { region: eu-central-1 }', /tenants\.acme-cpo\.key/],
    ['tenants:\n  acme-cpo: { region: europe, key: alias/a }', /tenants\.acme-cpo\.region/],
    ['tenants:\n  acme-cpo: { region: eu-central-1, key: "arn:aws:kms:us-east-1:111122223333:key/abc" }', /ARN's region us-east-1 is not the tenant's region eu-central-1/],
    ['tenants:\n  acme-cpo: { region: eu-central-1, key: my-key }', /an alias \(alias\/…\) or a KMS key or alias ARN/],
    ['tenants:\n  Acme: { region: eu-central-1, key: alias/a }', /tenant name/],
    ['regions:\n  eu-central-1: { endpoint: "http://127.0.0.1:4599" }\ntenants:\n  acme-cpo: { region: eu-central-1, key: alias/a }', /https URL/],
    ['tenant: {}', /unknown key tenant/],
    ['[unclosed', /not valid YAML/],
  ])('refuses %j naming the field', (text, problem) => {
    expect(refusal(text)).toMatch(problem);
  });

  it('allows a plain-http endpoint only for a declared emulator', () => {
    const text = 'regions:\n  eu-central-1: { endpoint: "http://127.0.0.1:4599" }\ntenants:\n  acme-cpo: { region: eu-central-1, key: alias/a }';
    expect(parseTenantKeys(text, true).endpoints.get('eu-central-1')).toBe('http://127.0.0.1:4599/');
  });

  it('unwraps every listed tenant at start by default; AMPSEAL_TENANTS may name no tenant without a key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ampseal-keys-')), 'keys.yaml');
    writeFileSync(file, TWO_REGIONS);
    expect(loadConfig({ AMPSEAL_TENANT_KEYS_FILE: file }).tenants).toEqual(['acme-cpo', 'voltway-cpo']);
    expect(loadConfig({ AMPSEAL_TENANT_KEYS_FILE: file, AMPSEAL_TENANTS: 'voltway-cpo' }).tenants).toEqual(['voltway-cpo']);
    expect(() => loadConfig({ AMPSEAL_TENANT_KEYS_FILE: file, AMPSEAL_TENANTS: 'acme-cpo,other-cpo' })).toThrow(/tenant other-cpo has no key entry/);
    expect(() => loadConfig({ AMPSEAL_TENANT_KEYS_FILE: file, AMPSEAL_KMS_ENDPOINT: 'https://kms.example' })).toThrow(/AMPSEAL_KMS_ENDPOINT/);
    expect(loadConfig({}).tenantKeys).toBeUndefined();
  });
});
