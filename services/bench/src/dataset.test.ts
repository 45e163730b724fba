import { buildIndex, resolveEventId } from './context';
import { ANALYTICS, QUARANTINE, buildDataset, eventIdOf, partitionOf } from './dataset';

const topics = { ocpp: 'bench-x.ocpp.raw.v1', ocpi: 'bench-x.ocpi.raw.v1' };

describe('partitioning of the raw records', () => {
  it('keeps one key in one partition and spreads station keys over all of them', () => {
    expect(partitionOf('CP-0042', 3)).toBe(partitionOf('CP-0042', 3));
    const used = new Set(Array.from({ length: 300 }, (_, i) => partitionOf(`CP-${String(i).padStart(4, '0')}`, 3)));
    expect(used).toEqual(new Set([0, 1, 2]));
  });
});

describe('the dataset', () => {
  let data: Awaited<ReturnType<typeof buildDataset>>;
  beforeAll(async () => {
    data = await buildDataset({ seed: 1, stations: 50, cards: 500, malformedRate: 0.02, partitions: 3, events: 3_000, minSubjects: 0, minEvents: 0, maxEvents: 3_000, topics });
  });

  it('gives offsets 0, 1, 2… per raw topic-partition in generation order', () => {
    const next = [new Array(3).fill(0), new Array(3).fill(0)];
    for (let i = 0; i < data.size; i++) expect(data.offset[i]).toBe(next[data.topic[i]!]![data.partition[i]!]++);
    expect(next).toEqual(data.perPartition);
  });

  it('maps every eventId back to its record', () => {
    const ctx = { raw: topics, indexOf: buildIndex(data) };
    for (let i = 0; i < data.size; i += 97) expect(resolveEventId(ctx, eventIdOf(data, topics, i))).toBe(i);
    expect(resolveEventId(ctx, 'other.topic:0:0')).toBe(-1);
    expect(resolveEventId(ctx, `${topics.ocpp}:0:999999`)).toBe(-1);
  });

  it('has the oracle quarantine exactly the malformed records', () => {
    let quarantined = 0;
    for (let i = 0; i < data.size; i++) {
      if (data.outcome[i]! & QUARANTINE) {
        quarantined++;
        expect(data.expectedReason.has(i)).toBe(true);
        expect(data.outcome[i]! & ANALYTICS).toBe(0);
      }
    }
    expect(quarantined).toBe(data.counts.malformed);
    expect(data.counts.malformed).toBeGreaterThan(0);
  });

  it('counts distinct subjects and keeps one token request per subject', () => {
    expect(data.distinctSubjects).toBeGreaterThan(0);
    expect(data.subjects).toHaveLength(data.distinctSubjects);
  });

  it('stops at the subject goal when no event count is given', async () => {
    const grown = await buildDataset({ seed: 1, stations: 50, cards: 500, malformedRate: 0, partitions: 3, events: undefined, minSubjects: 100, minEvents: 500, maxEvents: 50_000, topics });
    expect(grown.distinctSubjects).toBeGreaterThanOrEqual(100);
    expect(grown.size).toBeGreaterThanOrEqual(500);
    expect(grown.size).toBeLessThan(50_000);
  });
});
