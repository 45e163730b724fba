import { AmpsealError } from '@ampseal/core';
import { highWatermarks } from './high-watermark';
import type { KafkaPort } from './port';
import type { ReadRecord } from './record-consumer';
import { TopicAdmin } from './topics';

export interface PartitionRead {
  readonly topic: string;
  readonly partition: number;
  /** The end offset taken before reading: the partition's high watermark then. */
  readonly end: bigint;
  /** Records delivered (committed data records; markers and aborted records occupy offsets but are not delivered). */
  readonly records: number;
}

export interface ReadToEndResult {
  /** The records `keep` accepted (all of them without `keep`), in partition order. */
  readonly records: ReadRecord[];
  readonly partitions: readonly PartitionRead[];
}

export interface ReadToEndOptions {
  /** Fail unless every partition was read to its end within this long. */
  readonly deadlineMs: number;
  /** Which records to return (the rest are counted, not kept). */
  readonly keep?: (record: ReadRecord) => boolean;
  /** Called for every record as it is read (a large read that keeps nothing). */
  readonly onRecord?: (record: ReadRecord) => void;
  /**
   * Called once with every partition's end, as soon as the ends are taken and before reading starts (a command
   * tells its operator what it waits for; a test knows the read's start has passed).
   */
  readonly onEnds?: (ends: ReadonlyArray<Omit<PartitionRead, 'records'>>) => void;
  /** Fetch sizes for bulk reads (bytes). */
  readonly maxBytesPerPartition?: number;
}

/**
 * Reads topics to the end offsets they had when it was called, read_committed, and returns only when every
 * partition got there: an exact answer ("is there a receipt for this request?", "every tombstone of the journal")
 * instead of a guess from a quiet period.
 *
 * The end of a partition is its high watermark, taken first (ListOffsets READ_UNCOMMITTED, see high-watermark.ts):
 * every record written before the call, including those of transactions still open, not the last stable offset
 * (which stops before the oldest open transaction and would silently leave its records, and everything committed
 * behind it, out of the answer). The read_committed consumer cannot pass an open transaction's first record, so it
 * reaches that end only once every transaction open at the call has finished: committed (its records up to the end
 * are read and counted) or aborted (skipped, its marker passed). A partition counts as read once the consumer's
 * position has passed its end, markers and aborted records included (each adapter's partition reader reports its
 * position past control records too). Records at or past the end were written after the call and are not part of the answer,
 * even those of a transaction that began before it.
 *
 * Fails rather than return part of a topic: a transaction open at the call and still open at the deadline (a
 * crashed producer's, until the broker aborts it at its transaction timeout) is TRANSACTION_OPEN; any other
 * partition not read to its end in time, or a consumer that failed, is BROKER_UNAVAILABLE. Both are retriable.
 *
 * The rules are this function's, once for both clients; reading partitions is the adapter's (KafkaPort.readPartitions).
 */
export async function readToEnd(kafka: KafkaPort, topics: readonly string[], options: ReadToEndOptions): Promise<ReadToEndResult> {
  const started = Date.now();
  const ends = new Map<string, { topic: string; partition: number; low: bigint; end: bigint; records: number; reached: boolean }>();
  for (const [topic, partitions] of await highWatermarks(kafka, topics)) {
    for (const [partition, { low, high }] of partitions) {
      ends.set(`${topic}:${partition}`, { topic, partition, low, end: high, records: 0, reached: high <= low });
    }
  }
  const records: ReadRecord[] = [];
  const pending = () => [...ends.values()].filter((p) => !p.reached);
  const result = (): ReadToEndResult => ({
    records,
    partitions: [...ends.values()].map(({ topic, partition, end, records: n }) => ({ topic, partition, end, records: n })),
  });
  options.onEnds?.([...ends.values()].map(({ topic, partition, end }) => ({ topic, partition, end })));
  if (pending().length === 0) return result();

  let failure: unknown;
  const reader = await kafka.readPartitions(
    { partitions: pending().map((p) => ({ topic: p.topic, partition: p.partition, from: p.low })), ...(options.maxBytesPerPartition ? { maxBytesPerPartition: options.maxBytesPerPartition } : {}) },
    {
      position: (topic, partition, next) => {
        const p = ends.get(`${topic}:${partition}`);
        if (p && next >= p.end) p.reached = true;
      },
      records: (topic, partition, batch) => {
        const p = ends.get(`${topic}:${partition}`);
        for (const record of batch) {
          // Past the end taken at the start: written after the call, not part of the answer.
          if (p && BigInt(record.offset) >= p.end) continue;
          if (p) p.records++;
          options.onRecord?.(record);
          if (!options.keep || options.keep(record)) records.push(record);
        }
      },
      failed: (err) => {
        failure ??= err;
      },
    },
  );
  try {
    while (pending().length > 0) {
      if (failure !== undefined) throw new AmpsealError('BROKER_UNAVAILABLE', 'reading to the end offsets failed', { cause: failure });
      if (Date.now() - started > options.deadlineMs) throw await overDeadline(kafka, pending(), options.deadlineMs);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await reader.stop();
  }
  return result();
}

/**
 * Why the read missed its deadline. The last stable offset (ListOffsets READ_COMMITTED) below a partition's end
 * means a transaction that began before that end, so was open when the read started, is open still: the consumer is
 * held behind it and waiting longer is what helps (TRANSACTION_OPEN). Otherwise the consumer was too slow or the
 * broker did not answer (BROKER_UNAVAILABLE), also when the last stable offsets cannot be read.
 */
async function overDeadline(kafka: KafkaPort, pending: ReadonlyArray<{ topic: string; partition: number; end: bigint }>, deadlineMs: number): Promise<AmpsealError> {
  const late = `${pending.length} partition(s) not read to their end offsets within ${deadlineMs} ms`;
  const admin = new TopicAdmin(kafka);
  try {
    let held = 0;
    for (const topic of new Set(pending.map((p) => p.topic))) {
      const stable = await admin.offsets(topic);
      held += pending.filter((p) => p.topic === topic && (stable.get(p.partition)?.high ?? p.end) < p.end).length;
    }
    if (held > 0) return new AmpsealError('TRANSACTION_OPEN', `${late}: ${held} held behind a transaction open since before the read started`);
  } catch {
    // The last stable offsets could not be read either: the broker is the problem.
  } finally {
    await admin.stop();
  }
  return new AmpsealError('BROKER_UNAVAILABLE', late);
}
