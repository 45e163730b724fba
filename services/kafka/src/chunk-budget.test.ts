import { ChunkBudget } from './chunk-budget';

describe('a transaction closes at N records or at the time budget, whichever is fewer', () => {
  it('without a time budget, cuts a fetched batch by size only and names the batch end when it comes first', () => {
    const budget = new ChunkBudget(100, undefined);
    budget.observe(10, 1_000);
    expect(budget.next(250)).toEqual({ size: 100, closedBy: 'size' });
    expect(budget.next(100)).toEqual({ size: 100, closedBy: 'batch' });
    expect(budget.next(7)).toEqual({ size: 7, closedBy: 'batch' });
  });

  it('cuts the first chunk by size only: nothing has been measured yet', () => {
    expect(new ChunkBudget(2_000, 5).next(5_000)).toEqual({ size: 2_000, closedBy: 'size' });
  });

  it('once the handling time per record is known, takes as many records as fit the budget', () => {
    const budget = new ChunkBudget(10_000, 50);
    budget.observe(1_000, 100); // 0.1 ms a record: 500 records in 50 ms
    expect(budget.next(5_000)).toEqual({ size: 500, closedBy: 'time' });
    // A batch smaller than the budget's share is taken whole; a record limit below it still wins.
    expect(budget.next(300)).toEqual({ size: 300, closedBy: 'batch' });
    expect(measuredBudget(200, 50, [1_000, 100]).next(5_000)).toEqual({ size: 200, closedBy: 'size' });
  });

  it('takes at least one record, however slow the handling, so the partition always moves', () => {
    const budget = new ChunkBudget(2_000, 1);
    budget.observe(1, 500);
    expect(budget.next(10)).toEqual({ size: 1, closedBy: 'time' });
  });

  it('follows a change of speed a third of the way per chunk, so one slow chunk does not collapse the next', () => {
    const budget = new ChunkBudget(100_000, 90);
    budget.observe(100, 10); // 0.1 ms a record
    budget.observe(100, 100); // one slow chunk: 1 ms a record; the estimate moves to 0.4
    expect(budget.next(100_000).size).toBe(225);
    budget.observe(100, 10);
    budget.observe(100, 10);
    budget.observe(100, 10);
    expect(budget.next(100_000).size).toBe(476); // 0.4 → 0.3 → 0.233 → 0.189 ms a record
  });
});

/** A budget that has already measured one chunk of `records` handled in `ms`. */
function measuredBudget(maxRecords: number, maxMs: number, [records, ms]: [number, number]): ChunkBudget {
  const budget = new ChunkBudget(maxRecords, maxMs);
  budget.observe(records, ms);
  return budget;
}
