/**
 * Audit of the real-message fixtures (src/__fixtures__/real): runs each through the core Transform, both audiences,
 * and prints per family how many leak a personal value into analytics (and through which record field), how many
 * are quarantined and why, and how many valid ones are refused. The output of the code at the time the fixtures
 * came in is kept in src/__fixtures__/real/AUDIT-before.txt.
 *
 *   node scripts/run-ts.mjs scripts/audit-real-messages.ts
 *
 * Personal values are shown masked (first 4 characters and the length): the report names fields, not people.
 */
import { issuerOf, loadRealMessages, runRealMessages, type RealMessageOutcome } from '../src/__fixtures__/real-messages';

function mask(value: string): string {
  return `${value.slice(0, 4)}…(${value.length})`;
}

function isQuarantine(outcome: string): boolean {
  return outcome.startsWith('quarantine:');
}

interface Row {
  family: string;
  fixtures: number;
  crafted: number;
  leaking: number;
  fields: Map<string, number>;
  quarantines: Map<string, number>;
  falseQuarantines: number;
  missedQuarantines: number;
  otherMismatches: number;
  roamingMisrouted: number;
}

function newRow(family: string): Row {
  return {
    family,
    fixtures: 0,
    crafted: 0,
    leaking: 0,
    fields: new Map(),
    quarantines: new Map(),
    falseQuarantines: 0,
    missedQuarantines: 0,
    otherMismatches: 0,
    roamingMisrouted: 0,
  };
}

function count(map: Map<string, number>): string {
  return [...map].map(([k, n]) => `${k}×${n}`).join(', ') || '-';
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

function tally(outcomes: readonly RealMessageOutcome[]): Row[] {
  const rows = new Map<string, Row>();
  const total = newRow('TOTAL');
  for (const o of outcomes) {
    const { message } = o;
    const row = rows.get(message.family) ?? newRow(message.family);
    rows.set(message.family, row);
    for (const r of [row, total]) {
      r.fixtures++;
      if (message.crafted) r.crafted++;
      if (o.leaks.length > 0) r.leaking++;
      for (const field of new Set(o.leaks.map((l) => l.field))) r.fields.set(field, (r.fields.get(field) ?? 0) + 1);
      if (isQuarantine(o.actual)) r.quarantines.set(o.actual.slice(11), (r.quarantines.get(o.actual.slice(11)) ?? 0) + 1);
      if (o.actual !== message.expect) {
        if (isQuarantine(o.actual) && !isQuarantine(message.expect)) r.falseQuarantines++;
        else if (isQuarantine(message.expect)) r.missedQuarantines++;
        else r.otherMismatches++;
      }
      if (o.roaming !== undefined && o.roaming.recipient !== issuerOf(message)) r.roamingMisrouted++;
    }
  }
  return [...[...rows.values()].sort((a, b) => a.family.localeCompare(b.family)), total];
}

async function main(): Promise<void> {
  const messages = loadRealMessages();
  const outcomes = await runRealMessages(messages);
  const rows = tally(outcomes);
  const out: string[] = [];
  out.push(`ampseal real-message audit: ${messages.length} fixtures (${messages.filter((m) => m.crafted).length} crafted), default policy, both audiences`);
  out.push('');
  out.push(
    table(
      ['family', 'n', 'crafted', 'leaking', 'leaking fields (fixtures)', 'quarantined (reason×n)', 'false quar.', 'missed quar.', 'other mismatch', 'roaming misrouted'],
      rows.map((r) => [
        r.family,
        String(r.fixtures),
        String(r.crafted),
        String(r.leaking),
        count(r.fields),
        count(r.quarantines),
        String(r.falseQuarantines),
        String(r.missedQuarantines),
        String(r.otherMismatches),
        String(r.roamingMisrouted),
      ]),
    ),
  );
  out.push('');
  out.push('Leaks (fixture: record field <- personal value, masked):');
  for (const o of outcomes.filter((x) => x.leaks.length > 0)) {
    const parts = o.leaks.map((l) => `${l.field} <- ${mask(o.message.personal[l.personalIndex]!)}`);
    out.push(`  ${o.message.family}/${o.message.name}${o.message.crafted ? ' [crafted]' : ''}: ${parts.join('; ')}`);
  }
  out.push('');
  out.push('Outcome differs from the fixture (expected -> actual, where it failed):');
  for (const o of outcomes.filter((x) => x.actual !== x.message.expect)) {
    const where = o.result.status === 'quarantined' ? ` at ${o.result.pointer ?? '?'} (${o.result.keyword ?? '?'})` : '';
    out.push(`  ${o.message.family}/${o.message.name}${o.message.crafted ? ' [crafted]' : ''}: ${o.message.expect} -> ${o.actual}${where}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
