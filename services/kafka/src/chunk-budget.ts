/**
 * What closed a chunk: `size` (the record limit), `time` (cut so its handling fits the time budget), or `batch`
 * (the fetched batch ended first).
 */
export type ChunkClose = 'size' | 'time' | 'batch';

/**
 * How many records of a fetched batch the next transaction takes: at most `maxRecords`, and with a time budget no
 * more than the handler is expected to get through in `maxMs`, at the per-record handling time measured on the
 * chunks before (the first chunk, with nothing measured yet, is cut by size only).
 *
 * A budget and not a clock: a chunk is handled by one handler call, which makes one key-ring round trip for all
 * its subjects (Redis round trips stay at one per transaction), so the only place a clock could close a
 * transaction is between handler calls; sizing the call is what bounds it. The commit that follows is not in the
 * budget: it costs about the same whatever the chunk's size (the ampseal_transaction_seconds histogram shows it),
 * and counting it would shrink chunks towards one record when the broker is slow.
 */
export class ChunkBudget {
  /** Handling time per record (ms), smoothed; undefined until a chunk was handled. */
  private msPerRecord: number | undefined;

  constructor(
    private readonly maxRecords: number,
    private readonly maxMs: number | undefined,
  ) {}

  /** The next chunk's size, `left` records of the batch remaining (at least 1). */
  next(left: number): { size: number; closedBy: ChunkClose } {
    let size = Math.min(this.maxRecords, left);
    let closedBy: ChunkClose = left <= this.maxRecords ? 'batch' : 'size';
    if (this.maxMs !== undefined && this.msPerRecord !== undefined) {
      const byTime = Math.max(1, Math.floor(this.maxMs / this.msPerRecord));
      if (byTime < size) {
        size = byTime;
        closedBy = 'time';
      }
    }
    return { size, closedBy };
  }

  /** A chunk of `records` took `ms` to handle. A moving average: one slow chunk moves the estimate a third of the way. */
  observe(records: number, ms: number): void {
    if (records <= 0) return;
    const perRecord = Math.max(ms, 0.001) / records;
    this.msPerRecord = this.msPerRecord === undefined ? perRecord : this.msPerRecord + (perRecord - this.msPerRecord) / 3;
  }
}
