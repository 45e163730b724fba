import type { SubjectPlan } from '@ampseal/keyring';
import { assemblePlan, formatPlan, type ClearCopyTopic, type PlanInput } from './erasure-plan';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-29T12:00:00Z');

const live = { generation: 1, restricted: false, tombstoneGeneration: -1, erasedAt: null };
const card: SubjectPlan = {
  kind: 'uid',
  ref: 'rBaZ8_mJ',
  token: 'yhr5JF_CzH35xWfh7wsUWQ',
  ...live,
  linked: [
    { kind: 'emaid', ref: 'ovbmN88V', token: '1N20DRqnOG1QBfEdIYkG1Q', lastSeen: NOW - DAY, sameAs: null, ...live },
    { kind: 'vehicle', ref: 'R7nkmER0', token: null, lastSeen: NOW - 2 * DAY, sameAs: 1, generation: 0, restricted: false, tombstoneGeneration: 1, erasedAt: NOW - DAY },
  ],
};
const vehicle: SubjectPlan = { kind: 'vehicle', ref: 'R7nkmER0', token: null, generation: 0, restricted: false, tombstoneGeneration: 1, erasedAt: NOW - DAY, linked: [] };

function topic(overrides: Partial<ClearCopyTopic> & Pick<ClearCopyTopic, 'topic' | 'role'>): ClearCopyTopic {
  return { exists: true, retentionMs: 7 * DAY, segmentMs: DAY, holdsRecords: true, ...overrides };
}

const input: PlanInput = {
  tenant: 'acme-cpo',
  typed: [
    { kind: 'uid', value: '04A2B3C4' },
    { kind: 'vehicle', value: '92D50A693F80' },
  ],
  subjects: [card, vehicle],
  topics: [
    topic({ topic: 'ocpp.raw.v1', role: 'raw' }),
    topic({ topic: 'ocpi.raw.v1', role: 'raw', retentionMs: 30 * DAY }),
    topic({ topic: 'ampseal.quarantine.v1', role: 'quarantine', holdsRecords: false }),
    topic({ topic: 'privacy.erasure.requests.v1', role: 'requests', exists: false, retentionMs: null, segmentMs: null, holdsRecords: false }),
  ],
  rawRetentionMs: 7 * DAY,
  tombstoneLifetimeMs: 42 * DAY,
  now: NOW,
};

describe('erasure plan assembly (keyring SPEC K43)', () => {
  it('counts a linked subject the operator typed too once, as typed, and the others as linked', () => {
    expect(assemblePlan(input).withLinked).toEqual({ typed: 2, linked: 1, total: 3 });
  });

  it('dates the last clear copy by retention plus one segment roll, says empty and missing topics, and warns when raw retention exceeds the configured one', () => {
    const plan = assemblePlan(input);
    expect(plan.clearCopies.map((c) => c.lastCopyAgesOutBy)).toEqual([new Date(NOW + 8 * DAY).toISOString(), new Date(NOW + 31 * DAY).toISOString(), null, null]);
    expect(plan.tombstonesKeptUntil).toBe(new Date(NOW + 42 * DAY).toISOString());
    expect(plan.warnings).toEqual([
      'topic ocpi.raw.v1 keeps records longer than AMPSEAL_RAW_RETENTION_DAYS: tombstones may be dropped while a raw copy remains',
      'topic privacy.erasure.requests.v1 does not exist on the broker: check AMPSEAL_TOPIC_* names',
    ]);
  });

  it('prints typed identifiers as typed and linked ones only as kind, ref and token', () => {
    const text = formatPlan(assemblePlan(input));
    expect(text).toContain('#1 uid:04A2B3C4  (ref rBaZ8_mJ)');
    expect(text).toContain('emaid          ref ovbmN88V  token 1N20DRqnOG1QBfEdIYkG1Q  generation 1  restricted no  never erased');
    expect(text).toContain(`vehicle        ref R7nkmER0  token (no live token)  generation 0  restricted no  erased ${new Date(NOW - DAY).toISOString()}`);
    expect(text).toContain('= #2, typed too');
    expect(text).toContain('ampseal.quarantine.v1        quarantine  7 d        1 d           no       no copy (empty)');
    expect(text).toContain('privacy.erasure.requests.v1  requests    missing');
  });

  it('warns that a linked group token is shared before --with-linked erases it for everyone in the group', () => {
    const group = { kind: 'group' as const, ref: 'g1g1g1g1', token: 't', lastSeen: NOW, sameAs: null, ...live };
    const plan = assemblePlan({ ...input, subjects: [{ ...card, linked: [...card.linked, group] }, vehicle], topics: [] });
    expect(plan.warnings).toEqual([expect.stringContaining('a linked group token is shared by everyone in its group')]);
  });

  it('says when a topic keeps records for ever', () => {
    const plan = assemblePlan({ ...input, topics: [topic({ topic: 'ocpp.raw.v1', role: 'raw', retentionMs: -1 })] });
    expect(plan.clearCopies[0]!.lastCopyAgesOutBy).toBeNull();
    expect(plan.warnings[0]).toContain('keeps records for ever');
  });
});
