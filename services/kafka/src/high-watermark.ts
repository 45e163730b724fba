import type { Kafka } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import { kafkaOf, type Tracking } from './raw';
import type { KafkaPort, PartitionOffsets } from './port';
import { pairOffsets } from './offsets';
import { kafkaFailure } from './failure-policy';
import { KAFKAJS_VERSION, installedKafkajsVersion } from './kafkajs-version';

export { KAFKAJS_VERSION };

/**
 * The partition ends an exact read needs are the high watermarks: every offset written so far, including the
 * records of transactions still open. kafkajs' admin cannot give them: its `fetchTopicOffsets` sends ListOffsets
 * with the isolation level of the admin's cluster, which has none, and the request then defaults to READ_COMMITTED,
 * so the broker answers the last stable offset (the first offset of the oldest open transaction). A read that
 * stops there silently misses every record behind an open transaction.
 *
 * No public kafkajs 2.2 API sends ListOffsets READ_UNCOMMITTED. The alternatives were worse: a read_uncommitted
 * consumer's fetches carry the high watermark, but only once data comes back (never for an empty partition or a
 * partition whose consumer is already at the end), and not at the moment the read starts. So this module, and only
 * this module, uses one kafkajs internal: the Kafka instance's private cluster factory (the function its own
 * `consumer({ readUncommitted: true })` uses), asked for a cluster with isolation level READ_UNCOMMITTED, whose
 * `fetchTopicsOffset` is the same ListOffsets request the admin sends, with that level. kafkajs is pinned to
 * exactly KAFKAJS_VERSION (services/kafka/package.json, no releases since); any other installed version, or a
 * factory that is not where 2.2.4 keeps it, is refused with INTERNAL before anything is asked, so an upgrade cannot
 * silently bring the last stable offset back. high-watermark.test.ts pins the internals without a broker and
 * test/smoke/kafka.test.ts proves the answer against one (an open transaction's records are inside the end).
 */

/** kafkajs/src/protocol/isolationLevel.js: READ_UNCOMMITTED = 0 (the Kafka protocol's value). */
const READ_UNCOMMITTED = 0;
/** Where kafkajs 2.2.4 (src/index.js) keeps its cluster factory: a Symbol with this description. */
const CLUSTER_FACTORY = 'private:Kafka:createCluster';

/** The part of kafkajs 2.2.4's Cluster (src/cluster/index.js) used here. */
export interface InternalCluster {
  readonly isolationLevel: number;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

type ClusterFactory = (options: { allowAutoTopicCreation: boolean; isolationLevel: number }) => InternalCluster;


/** A cluster (not yet connected) whose ListOffsets requests are READ_UNCOMMITTED. Throws INTERNAL on another kafkajs. */
export function readUncommittedCluster(kafka: Kafka): InternalCluster {
  const version = installedKafkajsVersion();
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CLUSTER_FACTORY);
  const factory = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (version !== KAFKAJS_VERSION || typeof factory !== 'function') {
    throw new AmpsealError('INTERNAL', `the high-watermark read needs the cluster factory of kafkajs ${KAFKAJS_VERSION} (kafkajs ${version} is installed)`);
  }
  const cluster = (factory as ClusterFactory).call(kafka, { allowAutoTopicCreation: false, isolationLevel: READ_UNCOMMITTED });
  if (cluster.isolationLevel !== READ_UNCOMMITTED) throw new AmpsealError('INTERNAL', 'the kafkajs cluster factory did not take the isolation level');
  return cluster;
}

/** Tries of one request before a retriable failure (a leader moving, a broker restarting) is given up. */
const ATTEMPTS = 8;

/**
 * Per topic and partition: the log start offset and the high watermark, from one ListOffsets READ_UNCOMMITTED per
 * leader. A retriable failure is retried with fresh metadata (a leader moved); the last one is thrown through
 * kafkaFailure (BROKER_UNAVAILABLE, or what the table says). A missing topic is BROKER_UNAVAILABLE too: the caller
 * names topics that must exist.
 */
export async function highWatermarksOf(client: Tracking, topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>> {
  const cluster = client.track(readUncommittedCluster(kafkaOf(client)));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await cluster.connect();
        await cluster.addMultipleTargetTopics([...topics]);
        const request = (fromBeginning: boolean) =>
          cluster.fetchTopicsOffset(
            topics.map((topic) => ({ topic, fromBeginning, partitions: cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId })) })),
          );
        // The high watermarks first: the start offsets can only move up, never past them.
        const high = await request(false);
        const low = await request(true);
        const listed = (answer: typeof high) => (topic: string) => (answer.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)] as const);
        return pairOffsets(topics, listed(high), listed(low));
      } catch (err) {
        if (err instanceof AmpsealError) throw err;
        const failure = kafkaFailure(err);
        if (!failure.retriable || attempt >= ATTEMPTS) throw failure;
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt - 1), 5_000)));
        await cluster.refreshMetadata().catch(() => undefined);
      }
    }
  } finally {
    await cluster.disconnect();
  }
}

/** The high watermarks (and log starts) of `topics`, on whichever client the connection runs (one admin connection). */
export async function highWatermarks(kafka: KafkaPort, topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>> {
  const admin = kafka.admin();
  try {
    return await admin.highWatermarks(topics);
  } finally {
    await admin.close();
  }
}
