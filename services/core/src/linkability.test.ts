import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { CATALOG } from './catalog';
import { AmpsealError } from './errors';
import { DEFAULT_POLICY_FILE } from './index';
import { DAY_MS, durationDays, epochExpired, epochName, epochOf, expiredEpochNames, parseEpochName } from './linkability';
import { compilePolicy } from './policy';
import { analyticsType } from '@ampseal/schemas/codec';
import { createInputParser } from './input';
import type { TokenOutcome, TokenRequest } from './tokens';
import { Transform } from './transform';
import { ocpp } from './__fixtures__/envelopes';
import { FixedKeyTokenSource } from './__fixtures__/token-source';

/** The default policy with `tenants` replaced. */
function withTenants(tenants: unknown): unknown {
  return { ...(parseYaml(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as object), tenants };
}

function refusal(tenants: unknown): AmpsealError {
  try {
    compilePolicy(withTenants(tenants), CATALOG);
  } catch (err) {
    expect(err).toBeInstanceOf(AmpsealError);
    return err as AmpsealError;
  }
  throw new Error('expected the policy to be refused');
}

describe('linkability durations (keyring SPEC K44)', () => {
  it('counts days, weeks (7 d), months (30 d) and years (365 d) exactly', () => {
    expect(durationDays('P90D')).toBe(90);
    expect(durationDays('P13W')).toBe(91);
    expect(durationDays('P6M')).toBe(180);
    expect(durationDays('P2Y')).toBe(730);
  });

  it('refuses mixed, time, fractional, zero, lower-case and absurdly long durations', () => {
    for (const text of ['P1Y2M', 'PT1H', 'P1.5D', 'P0D', 'p90d', 'P90', '90D', 'P-1D', 'P101Y', 'P1D ', '', 90]) {
      expect(durationDays(text)).toBeUndefined();
    }
  });
});

describe('epochs', () => {
  const W = 30 * DAY_MS;

  it('are consecutive windows from 1970-01-01T00:00Z: the first instant of an epoch starts it, the last ends it', () => {
    expect(epochOf(0, W)).toBe(0);
    expect(epochOf(W - 1, W)).toBe(0);
    expect(epochOf(W, W)).toBe(1);
    expect(epochOf(-1, W)).toBe(-1);
    expect(epochOf(Number.NaN, W)).toBeNaN();
    expect(epochName(684, W)).toBe('30d:684');
    expect(parseEpochName('30d:684')).toEqual({ windowMs: W, epoch: 684 });
    expect(parseEpochName('30d:x')).toBeUndefined();
  });

  it('expire once their last instant is older than the retention, and an event with no valid time is expired', () => {
    const R = 60 * DAY_MS;
    expect(epochExpired(0, W, R, W + R - 1)).toBe(false);
    expect(epochExpired(0, W, R, W + R)).toBe(true);
    expect(epochExpired(Number.NaN, W, R, 0)).toBe(true);
  });

  it('destroy-expired picks the live stored epochs past the retention, whatever window they were cut with, oldest first', () => {
    const R = 60 * DAY_MS;
    const now = 10 * W + R;
    const stored = [
      { name: '30d:9', destroyedAt: null },
      { name: '30d:10', destroyedAt: null },
      { name: '30d:3', destroyedAt: 5 },
      { name: '7d:30', destroyedAt: null }, // ends at 31 weeks = 217 days, before 10 × 30
      { name: 'garbage', destroyedAt: null },
    ];
    expect(expiredEpochNames(stored, R, now)).toEqual(['7d:30', '30d:9']);
  });
});

describe('policy tenants.<t>.linkability', () => {
  it('compiles window and retention to milliseconds, keeping the text', () => {
    const policy = compilePolicy(withTenants({ 'acme-cpo': { linkability: { window: 'P90D', retention: 'P2Y' } } }), CATALOG);
    expect(policy.tenants.get('acme-cpo')!.linkability).toEqual({ window: 'P90D', retention: 'P2Y', windowMs: 90 * DAY_MS, retentionMs: 730 * DAY_MS });
  });

  it('a tenant without it has none (tokens unchanged by time)', () => {
    const policy = compilePolicy(withTenants({ 'acme-cpo': { privateSites: ['home-1'] } }), CATALOG);
    expect(policy.tenants.get('acme-cpo')!.linkability).toBeUndefined();
  });

  it.each([
    [{ window: 'P1Y2M', retention: 'P2Y' }, 'tenants.acme-cpo.linkability.window'],
    [{ window: 'P90D', retention: 'forever' }, 'tenants.acme-cpo.linkability.retention'],
    [{ window: 'P90D' }, 'tenants.acme-cpo.linkability.retention'],
    [{ window: 'P90D', retention: 'P30D' }, 'tenants.acme-cpo.linkability.retention: must be at least the window'],
    [{ window: 'P90D', retention: 'P2Y', rotate: true }, 'tenants.acme-cpo.linkability.rotate'],
    ['P90D', 'tenants.acme-cpo.linkability: expected'],
  ])('refuses %j with POLICY_INVALID naming the field', (linkability, path) => {
    const err = refusal({ 'acme-cpo': { linkability } });
    expect(err.code).toBe('AMPSEAL_ERR_POLICY_INVALID');
    expect(err.message).toContain(path);
  });
});

describe('the transform and token epochs', () => {
  /** Answers EXPIRED for any request with an epoch, and records what it was asked. */
  class EpochAware extends FixedKeyTokenSource {
    readonly asked: TokenRequest[] = [];
    override async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
      this.asked.push(...requests);
      const plain = await super.tokens(requests);
      return requests.map((r, i) => (r.epoch === undefined ? plain[i]! : { status: 'EXPIRED' }));
    }
  }
  const start = (tenant: string) => ocpp('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: '04A2B3C4', meterStart: 0, timestamp: '2026-11-24T10:00:00Z' }, { tenant });

  it('asks with the tenant’s window and retention only for a tenant that sets one, and EXPIRED reaches the Avro record', async () => {
    const policy = compilePolicy(withTenants({ 'acme-cpo': { linkability: { window: 'P30D', retention: 'P60D' } } }), CATALOG);
    const tokens = new EpochAware();
    const transform = new Transform({ catalog: CATALOG, policy, tokens, parse: createInputParser().parse, audiences: ['analytics'] });
    const [acme, voltway] = await transform.run([
      { value: start('acme-cpo'), eventId: 'e0' },
      { value: start('voltway-cpo'), eventId: 'e1' },
    ]);
    expect(tokens.asked.map((r) => [r.subject.tenant, r.epoch])).toEqual([
      ['acme-cpo', expect.objectContaining({ windowMs: 30 * DAY_MS, retentionMs: 60 * DAY_MS })],
      ['voltway-cpo', undefined],
    ]);
    // The epoch time is the erasure rule's: the earlier of payload time and receivedAt.
    expect(tokens.asked[0]!.at).toBe(Date.parse('2026-11-24T10:00:00Z'));
    if (acme?.status !== 'emitted' || voltway?.status !== 'emitted') throw new Error('expected both emitted');
    expect(acme.analytics!.identifiers[0]).toMatchObject({ status: 'EXPIRED', token: null });
    expect(voltway.analytics!.identifiers[0]).toMatchObject({ status: 'TOKENIZED' });
    const type = analyticsType();
    expect((type.fromBuffer(type.toBuffer(acme.analytics)) as typeof acme.analytics)!.identifiers[0]!.status).toBe('EXPIRED');
  });
});
