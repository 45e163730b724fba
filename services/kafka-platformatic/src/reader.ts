import { randomBytes } from 'node:crypto';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { AmpsealError } from '@ampseal/core';
import type { PartitionReadSink, PartitionReadSpec, ReadRecord } from '@ampseal/kafka';
import { dropAborted } from './aborted-transactions';
import { baseOptions, type PlatformaticConnection } from './client';
import { platformaticFailure } from './failure-policy';
import { headerText } from './routing';

const IS_CONTROL = 1 << 5;
/** Fetches in a row that may fail retriably (a leader moving, a broker restarting) before the read fails. */
const ATTEMPTS = 8;
const DEFAULT_PARTITION_BYTES = 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The part of a fetched partition read here (the library's FetchResponsePartition). */
export interface FetchedPartition {
  readonly abortedTransactions?: ReadonlyArray<{ readonly producerId: bigint; readonly firstOffset: bigint }> | null;
  readonly records?: Array<{
    readonly firstOffset: bigint;
    readonly lastOffsetDelta: number;
    readonly attributes: number;
    readonly producerId: bigint;
    readonly firstTimestamp: bigint;
    records: Array<{ readonly offsetDelta: number; readonly timestampDelta: bigint; readonly key: Buffer | null; readonly value: Buffer | null; readonly headers: Array<[Buffer | null, Buffer | null]> }>;
  }> | null;
}

interface Position {
  readonly topic: string;
  readonly partition: number;
  next: bigint;
}

/**
 * The records of one fetched partition at or past `from`, and the position after the fetch: past the last batch,
 * transaction markers and emptied (aborted) batches included. A batch can begin before the offset asked for (the
 * broker answers whole batches): its records below `from` are not delivered again. Exported for its unit test.
 */
export function fetchedRecords(topic: string, partition: number, from: bigint, fetched: FetchedPartition): { records: ReadRecord[]; next: bigint } {
  dropAborted(fetched);
  const records: ReadRecord[] = [];
  let next = from;
  for (const batch of fetched.records ?? []) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (!(batch.attributes & IS_CONTROL)) {
      for (const r of batch.records) {
        const offset = batch.firstOffset + BigInt(r.offsetDelta);
        if (offset < from) continue;
        records.push({
          topic,
          partition,
          offset: offset.toString(),
          key: r.key ?? null,
          value: r.value ?? null,
          headers: headerText(r.headers),
          timestamp: Number(batch.firstTimestamp + r.timestampDelta),
        });
      }
    }
    if (last + 1n > next) next = last + 1n;
  }
  return { records, next };
}

/**
 * The platformatic adapter's partition reader for exact reads (reader.ts): no group at all. Each partition is
 * fetched from its leader at the offset asked (manual assignment, as the Java client's assign and seek), read
 * committed; the position is this reader's own, so it passes transaction markers and aborted batches exactly.
 */
export async function readPartitionsPlatformatic(connection: PlatformaticConnection, spec: PartitionReadSpec, sink: PartitionReadSink): Promise<{ stop(): Promise<void> }> {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    ...baseOptions(connection, 'reader'),
    groupId: `ampseal-read-${randomBytes(6).toString('hex')}`,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const positions = new Map<string, Position>(spec.partitions.map((p) => [`${p.topic}:${p.partition}`, { topic: p.topic, partition: p.partition, next: p.from }]));
  const topics = [...new Set(spec.partitions.map((p) => p.topic))];
  const partitionBytes = spec.maxBytesPerPartition ?? DEFAULT_PARTITION_BYTES;
  let running = true;

  const fetchOnce = async (forceUpdate: boolean) => {
    const metadata = await consumer.metadata({ topics, forceUpdate });
    const names = new Map<string, string>();
    const byNode = new Map<number, Array<{ topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }> }>>();
    for (const p of positions.values()) {
      const topic = metadata.topics.get(p.topic);
      const leader = topic?.partitions[p.partition]?.leader ?? -1;
      if (!topic || leader < 0) throw new AmpsealError('BROKER_UNAVAILABLE', 'a partition to read has no leader');
      names.set(topic.id, p.topic);
      let requests = byNode.get(leader);
      if (!requests) byNode.set(leader, (requests = []));
      requests.push({ topicId: topic.id, partitions: [{ partition: p.partition, fetchOffset: p.next, partitionMaxBytes: partitionBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] });
    }
    await Promise.all(
      [...byNode].map(async ([node, requests]) => {
        const response = await consumer.fetch({ node, topics: requests, maxWaitTime: 100, maxBytes: 4 * partitionBytes, isolationLevel: FetchIsolationLevels.READ_COMMITTED });
        for (const t of response.responses) {
          const topic = names.get(t.topicId);
          for (const fetched of t.partitions) {
            const position = topic === undefined ? undefined : positions.get(`${topic}:${fetched.partitionIndex}`);
            if (!position || !running) continue;
            if (fetched.errorCode !== 0) throw new AmpsealError('BROKER_UNAVAILABLE', `a partition's fetch answered error ${fetched.errorCode}`);
            const { records, next } = fetchedRecords(position.topic, position.partition, position.next, fetched);
            if (records.length > 0) sink.records(position.topic, position.partition, records);
            if (next > position.next) {
              position.next = next;
              sink.position(position.topic, position.partition, next);
            }
          }
        }
      }),
    );
  };

  const loop = (async () => {
    let failures = 0;
    while (running) {
      try {
        await fetchOnce(failures > 0);
        failures = 0;
      } catch (err) {
        if (!running) return;
        const failure = err instanceof AmpsealError ? err : platformaticFailure(err);
        if (!failure.retriable || ++failures >= ATTEMPTS) {
          sink.failed(failure);
          return;
        }
        await sleep(Math.min(200 * 2 ** (failures - 1), 5_000));
      }
    }
  })();

  return {
    stop: async () => {
      running = false;
      await loop;
      await consumer.close().catch(() => undefined);
    },
  };
}
