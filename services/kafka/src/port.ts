import type { AmpsealError } from '@ampseal/core';
import type { Component, Logger } from '@ampseal/foundation';
import type { Delivery, StreamHandler } from './transactional-stream';

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
