import type { SubjectPlan, SubjectPlanState } from '@ampseal/keyring';

/**
 * `ampseal erasure plan` (keyring SPEC K43): what an erasure of these identifiers would cover, and where clear copies
 * may still sit. Assembled and formatted here, purely, from what the key ring and the broker answered (clear-copies.ts);
 * the CLI command and the console's plan step only fetch, so both show the same plan. Nothing printed names an identifier the operator did not type: linked subjects are
 * a kind, a token and the first characters of their blind index.
 */

/** A topic that can hold identifiers in clear, as the broker describes it. */
export interface ClearCopyTopic {
  readonly topic: string;
  /** What it holds, for the reader. */
  readonly role: 'raw' | 'quarantine' | 'requests';
  /** false when the broker has no such topic. */
  readonly exists: boolean;
  /** retention.ms as the broker resolves it; -1 is unlimited. */
  readonly retentionMs: number | null;
  /** segment.ms: a record is deleted with its segment, so it may outlive retention.ms by up to one segment roll. */
  readonly segmentMs: number | null;
  /** Whether any partition holds a record (end offset above the start offset). */
  readonly holdsRecords: boolean;
}

export interface PlanInput {
  readonly tenant: string;
  /** What the operator typed, normalized (printed back: the operator typed it). */
  readonly typed: ReadonlyArray<{ readonly kind: string; readonly value: string }>;
  readonly subjects: readonly SubjectPlan[];
  readonly topics: readonly ClearCopyTopic[];
  /** Configured raw retention (AMPSEAL_RAW_RETENTION_DAYS) and tombstone lifetime (K41). */
  readonly rawRetentionMs: number;
  readonly tombstoneLifetimeMs: number;
  readonly now: number;
}

export interface PlanReport {
  readonly tenant: string;
  readonly generatedAt: string;
  readonly identifiers: ReadonlyArray<PlanSubject & { readonly typed: string; readonly linked: readonly PlanLinked[] }>;
  /** What `erase --with-linked` would erase: the typed subjects and the distinct linked ones not typed. */
  readonly withLinked: { readonly typed: number; readonly linked: number; readonly total: number };
  readonly clearCopies: ReadonlyArray<ClearCopyTopic & { readonly lastCopyAgesOutBy: string | null }>;
  /** When tombstones and retired tokens of this erasure would be dropped (K41). */
  readonly tombstonesKeptUntil: string;
  readonly warnings: readonly string[];
}

interface PlanSubject {
  readonly kind: string;
  readonly ref: string;
  readonly token: string | null;
  readonly generation: number;
  readonly restricted: boolean;
  readonly erasure: string;
}

interface PlanLinked extends PlanSubject {
  readonly lastSeen: string;
  /** `#2` when the operator typed this partner too. */
  readonly sameAs: string | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** never erased / erased at T (generation g) / erased at T, live again as generation g+1. */
export function erasureState(s: SubjectPlanState): string {
  if (s.erasedAt === null) return 'never erased';
  const when = `erased ${iso(s.erasedAt)}`;
  return s.generation > 0 ? `${when}, live again (generation ${s.generation})` : when;
}

function subjectOf(kind: string, ref: string, s: SubjectPlanState): PlanSubject {
  return { kind, ref, token: s.token, generation: s.generation, restricted: s.restricted, erasure: erasureState(s) };
}

export function assemblePlan(input: PlanInput): PlanReport {
  const warnings: string[] = [];
  const linkedRefs = new Set<string>();
  const identifiers = input.subjects.map((subject, i) => {
    const typed = input.typed[i]!;
    const linked = subject.linked.map((l) => {
      if (l.sameAs === null) linkedRefs.add(`${l.kind}:${l.ref}`);
      return { ...subjectOf(l.kind, l.ref, l), lastSeen: iso(l.lastSeen), sameAs: l.sameAs === null ? null : `#${l.sameAs + 1}` };
    });
    return { typed: `${typed.kind}:${typed.value}`, ...subjectOf(subject.kind, subject.ref, subject), linked };
  });
  // A group token (OCPP groupIdToken) is shared by a fleet or household: erasing it with the person erases it for all.
  if (input.subjects.some((s) => s.linked.some((l) => l.kind === 'group' && l.sameAs === null))) {
    warnings.push('a linked group token is shared by everyone in its group: erase --with-linked would erase it for all of them; erase the identifiers one by one instead if that is not intended');
  }
  const clearCopies = input.topics.map((t) => {
    let lastCopyAgesOutBy: string | null = null;
    if (!t.exists) warnings.push(`topic ${t.topic} does not exist on the broker: check AMPSEAL_TOPIC_* names`);
    else if (t.retentionMs === -1) warnings.push(`topic ${t.topic} keeps records for ever (retention.ms -1): clear copies never age out`);
    else if (t.holdsRecords && t.retentionMs !== null) {
      // The newest record is at most now; it goes with its segment, which rolls at most segment.ms after it opened.
      lastCopyAgesOutBy = iso(input.now + t.retentionMs + (t.segmentMs ?? 0));
    }
    if (t.role === 'raw' && t.retentionMs !== null && t.retentionMs > input.rawRetentionMs) {
      warnings.push(`topic ${t.topic} keeps records longer than AMPSEAL_RAW_RETENTION_DAYS: tombstones may be dropped while a raw copy remains`);
    }
    return { ...t, lastCopyAgesOutBy };
  });
  const typedCount = input.subjects.length;
  return {
    tenant: input.tenant,
    generatedAt: iso(input.now),
    identifiers,
    withLinked: { typed: typedCount, linked: linkedRefs.size, total: typedCount + linkedRefs.size },
    clearCopies,
    tombstonesKeptUntil: iso(input.now + input.tombstoneLifetimeMs),
    warnings,
  };
}

function days(ms: number | null): string {
  if (ms === null) return '?';
  if (ms < 0) return 'unlimited';
  const d = ms / 86_400_000;
  return Number.isInteger(d) ? `${d} d` : `${(ms / 3_600_000).toFixed(1)} h`;
}

function line(s: PlanSubject): string {
  const token = s.token ?? '(no live token)';
  return `token ${token}  generation ${s.generation}  restricted ${s.restricted ? 'yes' : 'no'}  ${s.erasure}`;
}

export function formatPlan(plan: PlanReport): string {
  const out: string[] = [`erasure plan for tenant ${plan.tenant} at ${plan.generatedAt} (dry run: nothing changed)`, ''];
  plan.identifiers.forEach((id, i) => {
    out.push(`#${i + 1} ${id.typed}  (ref ${id.ref})`);
    out.push(`   ${line(id)}`);
    if (id.linked.length === 0) out.push('   co-occurred with: nothing recorded');
    else {
      out.push(`   co-occurred with (${id.linked.length}, newest first; known by blind index only):`);
      for (const l of id.linked) {
        const same = l.sameAs === null ? '' : `  = ${l.sameAs}, typed too`;
        out.push(`     ${l.kind.padEnd(14)} ref ${l.ref}  ${line(l)}  last seen ${l.lastSeen}${same}`);
      }
    }
  });
  out.push('');
  const { typed, linked, total } = plan.withLinked;
  out.push(`erase --with-linked would erase ${total} subject(s): ${typed} typed + ${linked} linked (linked ones by blind index, as the shredder finds them when it runs)`);
  out.push(`tombstones and retired tokens of an erasure now are kept until ${plan.tombstonesKeptUntil} (raw retention + maximum backup age)`);
  out.push('');
  out.push('clear copies may still sit in:');
  const rows = plan.clearCopies.map((c) => [
    c.topic,
    c.role,
    c.exists ? days(c.retentionMs) : 'missing',
    c.exists ? days(c.segmentMs) : '-',
    c.exists ? (c.holdsRecords ? 'yes' : 'no') : '-',
    c.lastCopyAgesOutBy ?? (c.exists && !c.holdsRecords ? 'no copy (empty)' : 'never / unknown'),
  ]);
  const header = ['topic', 'holds', 'retention', 'segment roll', 'records', 'last copy ages out by'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) out.push(`  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
