import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraffic } from '@ampseal/traffic';
import { runAmpseal } from '../harness/processes';
import { useResources } from '../harness/resources';

useResources();

describe('ampseal pseudonymize (file mode, design §9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-cli-'));
  const records = createTraffic({ seed: 7, stations: 40, cards: 300, malformedRate: 0.03 }).take(3_000);
  const input = join(dir, 'in.ndjson');
  writeFileSync(input, records.map((r) => r.value).join('\n') + '\n');
  const identifiers = [...new Set(records.flatMap((r) => (r.kind === 'valid' ? (r.subjects ?? []).map((s) => s.raw) : [])))].filter((v) => v.length >= 8);

  it('writes one analytics record per session event, quarantines bad lines by reason and line number, and exits 0', async () => {
    const out = join(dir, 'analytics.ndjson');
    const quarantine = join(dir, 'quarantine.ndjson');
    const { stdout, stderr } = await runAmpseal(['pseudonymize', '--audience', 'analytics', '--in', input, '--out', out, '--quarantine', quarantine]);
    expect(stdout).toBe('');
    const lines = readFileSync(quarantine, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const malformed = records.map((r, i) => ({ r, line: i + 1 })).filter(({ r }) => r.kind === 'malformed');
    expect(lines.map(({ reason, offset }) => ({ reason, offset }))).toEqual(malformed.map(({ r, line }) => ({ reason: r.expectedReason, offset: line })));
    // Where it failed, never what: schema violations carry the JSON pointer and the rule.
    for (const l of lines.filter((q) => q.reason === 'schema_violation')) {
      expect(l).toEqual({ reason: 'schema_violation', offset: expect.any(Number), pointer: expect.stringMatching(/^\//), keyword: expect.any(String) });
    }
    const analytics = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(analytics.length).toBeGreaterThan(1_000);
    expect(stderr).toMatch(new RegExp(`read 3000, written ${analytics.length}, skipped \\d+, quarantined ${malformed.length} \\(`));
    // No clear identifier in the output, the quarantine file or the summary.
    const everything = readFileSync(out, 'utf8') + readFileSync(quarantine, 'utf8') + stderr;
    for (const id of identifiers) expect(everything.includes(id)).toBe(false);
  });

  it('reads stdin and writes stdout by default; the roaming audience gets OCPI records keyed by recipient', async () => {
    const { stdout } = await runAmpseal(['pseudonymize', '--audience', 'roaming'], { input: readFileSync(input), maxBuffer: 64 * 1024 * 1024 });
    const roamed = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(roamed.length).toBeGreaterThan(0);
    for (const r of roamed) {
      expect(Object.keys(r)).toEqual(['recipient', 'module', 'object']);
      expect(`${r.object.cdr_token.country_code}-${r.object.cdr_token.party_id}`).toBe(r.recipient);
    }
  });

  it('refuses a bad audience with a usage error (exit 2)', async () => {
    await expect(runAmpseal(['pseudonymize', '--audience', 'marketing'])).rejects.toMatchObject({ code: 2 });
  });
});

describe('ampseal pseudonymize honours token epochs (keyring SPEC K44–K46) with the memory key ring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ampseal-cli-epochs-'));
  const DAY = 86_400_000;
  /** The P30D epoch of 2026-11-24 starts at 2026-10-24T00:00Z (epoch 684: 684 × 30 days after 1970-01-01). */
  const start = 684 * 30 * DAY;
  const frame = (idTag: string, at: number, i: number) =>
    JSON.stringify({
      tenant: 'acme-cpo',
      source: 'ocpp1.6',
      stationId: 'CP-EPOCH',
      receivedAt: new Date(at + 1_000).toISOString(),
      action: 'StartTransaction',
      frame: [2, `e${i}`, 'StartTransaction', { connectorId: 1, idTag, meterStart: i, timestamp: new Date(at).toISOString() }],
    });

  it('one token 10 days apart in one P30D epoch, another 40 days apart, EXPIRED past the retention; no window: one token throughout', async () => {
    const times = [start + 1 * DAY, start + 11 * DAY, start + 41 * DAY, Date.now() - 800 * DAY];
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, times.map((t, i) => frame('04EPOCHCARD1', t, i)).join('\n') + '\n');
    const policy = join(dir, 'policy.yaml');
    const defaults = readFileSync(join(__dirname, '..', '..', 'services', 'core', 'policies', 'default.yaml'), 'utf8');
    writeFileSync(policy, defaults.replace(/^tenants: \{\}$/m, 'tenants:\n  acme-cpo:\n    linkability: { window: P30D, retention: P2Y }'));
    const run = async (args: string[]) =>
      (await runAmpseal(['pseudonymize', '--audience', 'analytics', '--in', input, ...args])).stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { identifiers: Array<{ status: string; token: string | null }> }).identifiers[0]!);
    const [d1, d11, d41, expired] = await run(['--policy', policy]);
    expect(d1!.status).toBe('TOKENIZED');
    expect(d11).toEqual(d1);
    expect(d41!.status).toBe('TOKENIZED');
    expect(d41!.token).not.toBe(d1!.token);
    expect(expired).toEqual({ ...expired, status: 'EXPIRED', token: null });
    const plain = await run([]);
    expect(new Set(plain.map((p) => p.token)).size).toBe(1);
    expect(plain[0]!.token).not.toBe(d1!.token);
  });
});
