import { MALFORMED_REASONS } from '@ampseal/traffic';
import { caseAt, runFuzz } from './fuzz';
import { leakedIdentifiers } from './leaks';

/**
 * The CI smoke of `npm run fuzz` (issue 11): a short in-process run must find no crash and no leak, and give
 * every record exactly one classification. The long runs are commands (README, "Soak and fuzz").
 */
describe('fuzz, in process (smoke)', () => {
  it('2,000 malformed and mutated records: no crash, no identifier in any analytics record, every record classified', async () => {
    const report = await runFuzz({ seed: 7, events: 2_000 });
    expect(report.crashes).toEqual([]);
    expect(report.leaks).toEqual([]);
    expect(report.unclassified).toBe(0);
    expect(report.wrongReason).toBe(0);
    const classified = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
    expect(classified).toBe(2_000);
    // The run exercised what it claims to: the generator's malformed kinds, every mutation, some analytics.
    expect(report.origins.malformed).toBeGreaterThan(0);
    expect(report.origins.mutated).toBeGreaterThan(0);
    expect(Object.keys(report.mutations).length).toBe(10);
    expect(report.analyticsChecked).toBeGreaterThan(0);
    for (const key of Object.keys(report.outcomes)) expect(key).toMatch(/^(emitted|skipped:[a-z_]+|quarantined:[a-z_]+)$/);
  });

  it('the same seed gives the same records (a crash is reproduced from seed and index)', () => {
    const a = caseAt({ seed: 3 }, 123);
    const b = caseAt({ seed: 3 }, 123);
    expect(a.value.equals(b.value)).toBe(true);
    expect(a.mutations).toEqual(b.mutations);
  });
});

describe('the leak oracle', () => {
  it('finds an identifier as written, in another case, and as an 8-character fragment', () => {
    const ids = ['04A1B2C3D4E5F6', 'NL-TNM-C12345678-X'];
    expect(leakedIdentifiers('{"x":"04a1b2c3d4e5f6"}', ids)).toEqual([0]);
    expect(leakedIdentifiers('{"x":"..C1234567.."}', ids)).toEqual([1]);
    expect(leakedIdentifiers('{"x":"tok_9f8e7d6c"}', ids)).toEqual([]);
  });

  it('ignores windows that are mostly separators', () => {
    expect(leakedIdentifiers('{"x":"--------"}', ['AB--------CD'])).toEqual([]);
  });

  it('knows every reason the generator expects', () => {
    expect(MALFORMED_REASONS.length).toBeGreaterThan(0);
  });
});
