import { randomBytes } from 'node:crypto';
import type { PartitionReadSink, PartitionReadSpec } from './port';
import { consumerOf, type Tracking } from './raw';
import { readRecord } from './record-consumer';

/**
 * The kafkajs adapter's partition reader for exact reads (reader.ts). kafkajs 2.2 has no manual partition
 * assignment, so the consumer joins a throwaway group of its own that commits nothing; it is the group's only
 * member, gets every partition of the topics, and starts each at its beginning (the log start offset, which is
 * every `from` an exact read asks for). Positions come from END_BATCH_PROCESS: the fetch's last offset including
 * control records and aborted records, which eachBatch never shows, so a partition ending in a commit marker is seen
 * to be read to its end.
 */
export async function readPartitionsKafkajs(client: Tracking, spec: PartitionReadSpec, sink: PartitionReadSink): Promise<{ stop(): Promise<void> }> {
  const consumer = consumerOf(client, {
    groupId: `ampseal-read-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    ...(spec.maxBytesPerPartition ? { maxBytesPerPartition: spec.maxBytesPerPartition, maxBytes: 4 * spec.maxBytesPerPartition } : {}),
  });
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => sink.position(payload.topic, payload.partition, BigInt(payload.lastOffset) + 1n));
    await consumer.connect();
    for (const topic of new Set(spec.partitions.map((p) => p.topic))) await consumer.subscribe({ topic, fromBeginning: true });
    void consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => sink.records(batch.topic, batch.partition, batch.messages.map((m) => readRecord(batch.topic, batch.partition, m))),
      })
      .catch((err: unknown) => sink.failed(err));
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  return { stop: () => consumer.disconnect() };
}
