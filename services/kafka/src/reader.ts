import { randomBytes } from 'node:crypto';
import { AmpsealError } from '@ampseal/core';
import { consumerOf, type KafkaClient } from './client';
import { readRecord, type ReadRecord } from './record-consumer';
import { TopicAdmin } from './topics';

export interface PartitionRead {
  readonly topic: string;
  readonly partition: number;
  /** The end offset taken before reading. */
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
  /** Fetch sizes for bulk reads (bytes). */
  readonly maxBytesPerPartition?: number;
}

/**
 * Reads topics to the end offsets they had when it was called, read_committed, and returns only when every
 * partition got there: an exact answer ("is there a receipt for this request?") instead of a guess from a quiet
 * period. The end offsets are fetched first; a partition counts as read once the consumer's position has passed
 * its end, markers and aborted records included (kafkajs reports each fetch's last offset, control records
 * included). Transactions open at that moment have to finish (commit or abort) before the end is reached, so a
 * stuck transaction fails the read at the deadline rather than returning part of the topic.
 *
 * kafkajs 2.2 has no manual partition assignment, so the consumer joins a throwaway group of its own that commits
 * nothing; it is the group's only member and gets every partition.
 */
export async function readToEnd(kafka: KafkaClient, topics: readonly string[], options: ReadToEndOptions): Promise<ReadToEndResult> {
  const started = Date.now();
  const ends = new Map<string, { topic: string; partition: number; end: bigint; records: number; reached: boolean }>();
  const admin = new TopicAdmin(kafka);
  try {
    for (const topic of topics) {
      for (const [partition, { low, high }] of await admin.offsets(topic)) {
        ends.set(`${topic}:${partition}`, { topic, partition, end: high, records: 0, reached: high <= low });
      }
    }
  } finally {
    await admin.stop();
  }
  const records: ReadRecord[] = [];
  const pending = () => [...ends.values()].filter((p) => !p.reached);
  const result = (): ReadToEndResult => ({
    records,
    partitions: [...ends.values()].map(({ topic, partition, end, records: n }) => ({ topic, partition, end, records: n })),
  });
  if (pending().length === 0) return result();

  const consumer = consumerOf(kafka, {
    groupId: `ampseal-read-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    ...(options.maxBytesPerPartition ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytes: 4 * options.maxBytesPerPartition } : {}),
  });
  let failure: unknown;
  try {
    // END_BATCH_PROCESS carries the fetch's last offset including control records and aborted records, which
    // eachBatch never shows: the only way to see that a partition ending in a commit marker was read to its end.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const p = ends.get(`${payload.topic}:${payload.partition}`);
      if (p && BigInt(payload.lastOffset) + 1n >= p.end) p.reached = true;
    });
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    void consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const p = ends.get(`${batch.topic}:${batch.partition}`);
          for (const m of batch.messages) {
            // Past the end taken at the start: written after the call, not part of the answer.
            if (p && BigInt(m.offset) >= p.end) continue;
            const record = readRecord(batch.topic, batch.partition, m);
            if (p) p.records++;
            options.onRecord?.(record);
            if (!options.keep || options.keep(record)) records.push(record);
          }
        },
      })
      .catch((err: unknown) => {
        failure = err;
      });
    while (pending().length > 0) {
      if (failure !== undefined) throw new AmpsealError('BROKER_UNAVAILABLE', 'reading to the end offsets failed', { cause: failure });
      if (Date.now() - started > options.deadlineMs) {
        throw new AmpsealError('BROKER_UNAVAILABLE', `${pending().length} partition(s) not read to their end offsets within ${options.deadlineMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await consumer.disconnect();
  }
  return result();
}
