import type { AmpsealError } from '@ampseal/core';
import type { Component, Logger } from '@ampseal/foundation';
import type { Delivery, OutputRecord, StreamHandler } from './transactional-stream';
import type { PartitionedRecord, Written } from './producer';
import type { ReadRecord, RecordConsumerOptions } from './record-consumer';
import type { PartitionReplicas, TopicReplication, TopicSpec } from './topics';

/** The Kafka clients an adapter of this port exists for (AMPSEAL_KAFKA_CLIENT). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/**
 * What a service asks of a transactional stream, whichever client runs it: the same handler, chunking, delivery
 * and failure callback. Each adapter adds only how it reaches the brokers.
 */
export interface StreamSpec {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Transactional ids are `<prefix>-<topic>-<partition>`: stable per partition, so whoever owns a partition next fences a zombie. */
  readonly transactionalIdPrefix: string;
  readonly handler: StreamHandler;
  readonly logger: Logger;
  /** Records per transaction (a fetched batch is split into chunks of at most this many). */
  readonly maxRecordsPerTransaction?: number;
  /**
   * Handling budget of one transaction, in milliseconds: a chunk holds no more records than the handler is
   * expected to get through in this time (chunk-budget.ts; docs/guarantees.md says why a budget and not a
   * clock). Unset: size only.
   */
  readonly maxTransactionMs?: number;
  /** Default `exactly-once`. */
  readonly delivery?: Delivery;
  /**
   * Partitions handled at once (default 1). Each partition keeps its order: its chunks are handled and committed one
   * after another, through its own transactional producer. Worth more than 1 only when the handler does not run on
   * this thread (a handler that computes in-thread gains nothing from overlapping). At least once stays at 1: a
   * failed write replaces the stream's one idempotent producer under the other partitions' writes. The kafkajs
   * adapter only: the platformatic adapter handles one partition at a time (the configuration refuses more).
   */
  readonly partitionsConcurrently?: number;
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  /**
   * Called once when the stream fails for good (failure policy `stop`): it has stopped consuming and committed
   * nothing more; the owner marks the instance not ready, stops it and exits non-zero.
   */
  readonly onFailure?: (error: AmpsealError) => void;
}

/** A running transactional stream as its owner sees it (readiness, failure), whichever client runs it. */
export interface StreamPort extends Component {
  /** Why the stream is not making progress for now (a dependency down, the consumer restarting), or undefined. */
  readonly blockedBy: string | undefined;
  /** Why the stream stopped for good (policy `stop`), or undefined. */
  readonly failedBy: AmpsealError | undefined;
  /** Owns at least one partition. */
  readonly isAssigned: boolean;
  /** A member of the consumer group (possibly a standby without partitions). */
  readonly hasJoined: boolean;
}

/** A partition's first offset still in the log and an end: the high watermark or the last stable offset, as named. */
export interface PartitionOffsets {
  /** The log start offset: the first offset still in the partition. */
  readonly low: bigint;
  /** The end: the offset the next record will get (high watermark), or the last stable offset (`stableOffsets`). */
  readonly high: bigint;
}

/**
 * Topic administration as each adapter provides it: one admin connection, opened on first use, closed by `close()`.
 * The client-neutral rules on top (which topics are missing, waiting for a topic, min ISR) are TopicAdmin's.
 */
export interface AdminPort {
  listTopics(): Promise<string[]>;
  /** Creates the topics; one that exists already (another process created it first) is not a failure. */
  createTopics(specs: readonly TopicSpec[], replication: TopicReplication): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Per partition: log start and last stable offset (ListOffsets READ_COMMITTED). */
  stableOffsets(topic: string): Promise<Map<number, PartitionOffsets>>;
  /**
   * Per topic and partition: log start and high watermark (ListOffsets READ_UNCOMMITTED), retried over a moving
   * leader. A topic without partitions (missing) is BROKER_UNAVAILABLE: callers name topics that must exist.
   */
  highWatermarks(topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>>;
  /** Per partition, from fresh metadata: leader, replicas, in-sync replicas. */
  partitionLeaders(topic: string): Promise<Map<number, PartitionReplicas>>;
  /** The topic's configuration values for `names`, as the broker resolves them. */
  topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string>>;
  /** A group's committed offsets per partition of each topic (partitions without a commit left out). */
  committed(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>>;
  close(): Promise<void>;
}

/** A plain at-least-once read_committed group consumer (RecordConsumerOptions without the client). */
export type RecordConsumerSpec = Omit<RecordConsumerOptions, 'kafka'>;

export interface RecordConsumerPort extends Component {
  /** Has joined its group (holds its partitions). */
  readonly hasJoined: boolean;
}

/** A plain idempotent (acks=all) producer for records outside a consume loop. */
export interface RecordProducerPort extends Component {
  send(record: OutputRecord): Promise<void>;
  /** Records of any topics and partitions, one request per partition; resolves once the brokers have them all. */
  sendAll(records: readonly PartitionedRecord[]): Promise<Written[]>;
}

/** Where an exact read (reader.ts) is told what a partition reader found. */
export interface PartitionReadSink {
  /** Committed data records of one partition, in offset order (aborted records never). */
  records(topic: string, partition: number, records: readonly ReadRecord[]): void;
  /** Every offset below `next` has been read: data, aborted records and transaction markers alike. */
  position(topic: string, partition: number, next: bigint): void;
  /** The reader stopped for good (it reports nothing more). */
  failed(error: unknown): void;
}

export interface PartitionReadSpec {
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly from: bigint }>;
  readonly maxBytesPerPartition?: number;
}

/**
 * A Kafka connection behind the port: everything a service does with Kafka, whichever client runs it. The
 * adapters are the kafkajs `KafkaClient` (this package) and `PlatformaticKafka` (@ampseal/kafka-platformatic);
 * AMPSEAL_KAFKA_CLIENT picks one per process. `close()` ends whatever is still open.
 */
export interface KafkaPort {
  readonly client: KafkaClientName;
  /** At start: the brokers' certificate and our credentials (TLS_UNTRUSTED, AUTHENTICATION_FAILED), or BROKER_UNAVAILABLE. */
  verify(): Promise<void>;
  close(): Promise<void>;
  stream(spec: StreamSpec): StreamPort;
  consumer(spec: RecordConsumerSpec): RecordConsumerPort;
  producer(options?: { readonly idempotent?: boolean }): RecordProducerPort;
  /** A new admin connection (opened on first use). */
  admin(): AdminPort;
  /**
   * Reads the partitions from `from`, read_committed, reporting records and positions to `sink` until stopped.
   * The exact read's rules (which end, when it is reached, what failing means) are reader.ts', not the adapter's.
   */
  readPartitions(spec: PartitionReadSpec, sink: PartitionReadSink): Promise<{ stop(): Promise<void> }>;
}
