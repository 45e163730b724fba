import { channel } from 'node:diagnostics_channel';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import type { KafkaClient } from './client';
import { consumerOf, producerOf } from './raw';
import { ChunkBudget, type ChunkClose } from './chunk-budget';
import { classifyFailure, isGroupRebalance } from './failure-policy';
import { PartitionCounts, type PartitionBatch } from './partitioned-send';
import { TopicAdmin } from './topics';
import { produceRequests } from './produce-requests';
import type { StreamPort, StreamSpec } from './port';

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Record headers as UTF-8 text (the first value of a repeated header); absent when the record has none. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OutputRecord {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Record<string, string>;
}

/**
 * Pure-ish step between consume and produce. Throws a retriable AmpsealError when a dependency is down; never throws
 * for one record (it quarantines that record instead); any other throw stops the stream (see failure-policy.ts).
 */
export type StreamHandler = (records: readonly ConsumedRecord[]) => Promise<OutputRecord[]>;

/**
 * How outputs reach their topics (README "Delivery"):
 * - `exactly-once`: one Kafka transaction per chunk holds its outputs and the consumer offset after it;
 * - `at-least-once`: an idempotent producer writes the chunk's outputs, and the offset after it is committed to
 *   the group only once every output is acknowledged; after a crash or a rebalance the uncommitted chunk is
 *   handled again, so an output may appear twice (with the same eventId, in the same order per partition).
 */
export type Delivery = 'exactly-once' | 'at-least-once';

export const STREAM_CHANNEL = 'ampseal:stream';
export type { ChunkClose };
export type StreamEvent =
  /**
   * One chunk committed: a transaction (exactly-once), or outputs acknowledged then the offset committed
   * (at-least-once). `durationMs` from taking the chunk in hand to its commit; `handlingMs` of it, the handler's
   * last (successful) call.
   */
  | { readonly type: 'transaction'; readonly topic: string; readonly partition: number; readonly records: number; readonly outputs: number; readonly durationMs: number; readonly handlingMs: number; readonly closedBy: ChunkClose }
  | { readonly type: 'lag'; readonly topic: string; readonly partition: number; readonly lag: number }
  | { readonly type: 'paused'; readonly reason: string }
  | { readonly type: 'resumed' }
  | { readonly type: 'failed'; readonly reason: string };

const events = channel(STREAM_CHANNEL);
function publish(event: StreamEvent): void {
  if (events.hasSubscribers) events.publish(event);
}

/** The kafkajs adapter's stream: the port's spec and the kafkajs client it runs on. */
export interface TransactionalStreamOptions extends StreamSpec {
  readonly kafka: KafkaClient;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a committed offset behind this process's own last commit is waited for before the broker's answer is
 * taken as it is (the offsets were reset while this process was away): a commit still completing is finished or
 * aborted well within a transaction timeout.
 */
const STABLE_OFFSET_WAIT_MS = 60_000;

/**
 * kafkajs reads committed offsets without `require_stable` (KIP-447): an answer behind this process's own last
 * commit (`own`) is a transaction's offsets not yet materialized, not the truth, until `giveUpAt`.
 */
function isStableOffset(committed: bigint | undefined, own: bigint | undefined, giveUpAt: number): boolean {
  return own === undefined || (committed !== undefined && committed >= own) || Date.now() > giveUpAt;
}

const WORD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * What failed underneath, for the operator: the error names, kafkajs types and protocol codes along the cause chain
 * (`KafkaJSNonRetriableError` ← `KafkaJSProtocolError` INVALID_PRODUCER_EPOCH 47). Words and numbers only, never a
 * message: kafkajs' messages can quote topics, hosts or record bytes.
 */
export function causeNames(cause: unknown): string[] {
  const out: string[] = [];
  for (let e = cause; e !== null && typeof e === 'object' && out.length < 6; e = (e as { cause?: unknown }).cause) {
    const { name, type, code } = e as { name?: unknown; type?: unknown; code?: unknown };
    out.push(
      [name, type, code]
        .filter((v) => (typeof v === 'string' && WORD.test(v)) || (typeof v === 'number' && Number.isInteger(v)))
        .join(' '),
    );
  }
  return out;
}

/**
 * Exactly-once consume → transform → produce (design §1, §7): per chunk, one Kafka transaction holds the
 * outputs and the consumer offsets. Fail closed: while the handler reports a dependency down, nothing is
 * produced or committed; the chunk is retried with backoff (heartbeating) until it succeeds or we stop.
 */
export class TransactionalStream implements StreamPort {
  readonly name = 'transactional-stream';
  private consumer: Consumer | undefined;
  private readonly producers = new Map<string, Promise<Producer>>();
  private readonly admin: TopicAdmin;
  private readonly partitionCounts: PartitionCounts;
  private pausedReason: string | undefined;
  private failure: AmpsealError | undefined;
  /** Recovering from a retriable failure (kafkajs restarting the consumer, a failed transaction being settled): cleared when it has joined the group again or a chunk commits. */
  private restarting: string | undefined;
  private assigned = false;
  private joined = false;
  /** Partitions (`topic:partition`) assigned at the last join whose start has not been checked yet (see `checkStart`). */
  private readonly unchecked = new Set<string>();
  /** Per partition, the offset this process's last commit moved the group to. */
  private readonly lastCommitted = new Map<string, bigint>();
  private running = false;
  /** Sizes each chunk: maxRecordsPerTransaction and maxTransactionMs. */
  private readonly budget: ChunkBudget;
  /** At least once: the one idempotent producer of this stream (no transactional id, no fencing). */
  private idempotent: Promise<Producer> | undefined;

  constructor(private readonly options: TransactionalStreamOptions) {
    this.admin = new TopicAdmin(options.kafka);
    this.partitionCounts = new PartitionCounts(this.admin);
    this.budget = new ChunkBudget(options.maxRecordsPerTransaction ?? 2_000, options.maxTransactionMs);
  }

  /** Why the stream is not making progress for now (a dependency down, the consumer restarting), or undefined. */
  get blockedBy(): string | undefined {
    return this.pausedReason ?? this.restarting;
  }

  /** Why the stream stopped for good (policy `stop`), or undefined. */
  get failedBy(): AmpsealError | undefined {
    return this.failure;
  }

  /** Owns at least one partition. */
  get isAssigned(): boolean {
    return this.assigned;
  }

  /** A member of the consumer group (possibly a standby without partitions: more replicas than partitions). */
  get hasJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const consumer = consumerOf(kafka, {
      groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.restarting = undefined;
      const assignment = e.payload.memberAssignment;
      this.assigned = Object.keys(assignment).length > 0;
      this.unchecked.clear();
      for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) this.unchecked.add(`${topic}:${p}`);
      this.dropProducersExcept(new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => this.transactionalId(topic, p)))));
    });
    // kafkajs restarts its consumer after a retriable failure (not ready until a chunk commits again) and gives up
    // for good after any other: without this the process would live on, answering ready, with nothing moving.
    consumer.on(consumer.events.CRASH, (e) => {
      if (!this.running) return;
      const { action, error } = classifyFailure(e.payload.error);
      if (e.payload.restart) this.restarting = error.reason;
      else this.fail(action === 'retry' ? new AmpsealError('STREAM_FAILED', 'the consumer stopped', { cause: e.payload.error }) : error);
    });
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.exactlyOnce ? Math.max(1, this.options.partitionsConcurrently ?? 1) : 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) => {
        const messages = batch.messages;
        const key = `${batch.topic}:${batch.partition}`;
        if (messages.length > 0 && this.exactlyOnce && this.unchecked.has(key)) {
          if (!(await this.checkStart(batch.topic, batch.partition, messages[0]!.offset, heartbeat, isRunning))) return;
          this.unchecked.delete(key);
        }
        for (let i = 0; i < messages.length; ) {
          if (!isRunning() || isStale() || this.failure) return;
          const { size, closedBy } = this.budget.next(messages.length - i);
          const chunk = messages.slice(i, i + size);
          i += size;
          const records: ConsumedRecord[] = chunk.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            ...(m.headers && Object.keys(m.headers).length > 0 ? { headers: headerText(m.headers) } : {}),
          }));
          const t0 = Date.now();
          const handled = await this.handleWithRetry(records, heartbeat, isRunning);
          if (handled === undefined) return; // stopping while a dependency was down: nothing committed
          const { outputs, handlingMs } = handled;
          const last = chunk[chunk.length - 1]!.offset;
          const next = (BigInt(last) + 1n).toString();
          try {
            if (this.exactlyOnce) await this.commit(batch.topic, batch.partition, outputs, next);
            else if (!(await this.deliver(batch.topic, batch.partition, outputs, next, isStale, commitOffsetsIfNecessary))) return;
          } catch (err) {
            // The partition moved away mid-chunk (its new owner fenced our producer): not a failure, the owner
            // re-reads the chunk from the committed offset. A fresh producer is made if it ever comes back.
            if (!isRunning() || isStale()) {
              this.dropProducer(this.transactionalId(batch.topic, batch.partition));
              return;
            }
            // At least once, the group is rebalancing (our offset commit was refused): kafkajs rejoins on this
            // error, and whoever owns the partition next reads the chunk again from the committed offset.
            if (!this.exactlyOnce && isGroupRebalance(err)) throw err;
            const { action, error } = classifyFailure(err);
            if (action !== 'retry') {
              this.fail(error);
              return;
            }
            // Retriable (a broker or coordinator moved mid-transaction): not ready until a chunk commits again.
            this.restarting = error.reason;
            if (this.exactlyOnce) await this.settle(batch.topic, batch.partition, chunk[0]!.offset, heartbeat, isRunning);
            else this.rewind(batch.topic, batch.partition, chunk[0]!.offset);
            return;
          }
          this.restarting = undefined;
          this.lastCommitted.set(key, BigInt(last) + 1n);
          resolveOffset(last);
          publish({ type: 'transaction', topic: batch.topic, partition: batch.partition, records: chunk.length, outputs: outputs.length, durationMs: Date.now() - t0, handlingMs: Math.round(handlingMs * 10) / 10, closedBy });
          await heartbeat();
        }
        publish({ type: 'lag', topic: batch.topic, partition: batch.partition, lag: Number(batch.offsetLag()) });
      },
    });
  }

  private get exactlyOnce(): boolean {
    return (this.options.delivery ?? 'exactly-once') === 'exactly-once';
  }

  private async handleWithRetry(
    records: readonly ConsumedRecord[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<{ outputs: OutputRecord[]; handlingMs: number } | undefined> {
    const backoff = this.options.backoffMs ?? { initial: 200, max: 5_000 };
    let delay = backoff.initial;
    for (;;) {
      try {
        const t0 = performance.now();
        const outputs = await this.options.handler(records);
        // Per call, not per stream: with partitions handled at once, another partition's time is not this one's.
        const handlingMs = performance.now() - t0;
        this.budget.observe(records.length, handlingMs);
        if (this.pausedReason !== undefined) {
          this.options.logger.info({ after: this.pausedReason }, 'dependency back: resuming');
          this.pausedReason = undefined;
          publish({ type: 'resumed' });
        }
        return { outputs, handlingMs };
      } catch (err) {
        const { action, error } = classifyFailure(err);
        if (action !== 'retry') {
          // A per-record failure reaching here broke the handler contract: there is no record to blame, and
          // retrying would stall the partition for ever, so it stops the instance like any other.
          this.fail(error, action === 'quarantine' ? 'handler threw a per-record failure' : undefined);
          return undefined;
        }
        this.pause(error.reason);
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (!isRunning() || !this.running) return undefined;
          await sleep(Math.min(250, until - Date.now()));
          await heartbeat().catch(() => undefined);
        }
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  /**
   * After a transaction failed, neither its outcome nor its kafkajs producer can be trusted:
   * - the commit may have reached the coordinator before the error (a commit of unknown outcome): re-reading
   *   the chunk from where this consumer stood (kafkajs retries a failed batch from its own position, not from
   *   the committed offset) would write it twice;
   * - a commit or abort that failed leaves kafkajs' transaction state at COMMITTING or ABORTING, from which it
   *   begins no transaction again (every later chunk would fail for good);
   * - kafkajs takes a failed produce request's sequence numbers back even when the broker wrote the records,
   *   so the same chunk sent again after an abort could be acknowledged as a duplicate of the aborted records.
   * So the producer is replaced: the new one's InitProducerId makes the coordinator finish the old transaction
   * first (complete the commit, or abort it) and starts a new epoch with fresh sequence numbers, fencing the old
   * one. Only then is the committed offset read back, and the partition resumes from it (a seek: no rebalance).
   */
  private async settle(topic: string, partition: number, chunkStart: string, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    this.dropProducer(this.transactionalId(topic, partition));
    const own = this.lastCommitted.get(`${topic}:${partition}`);
    const giveUpAt = Date.now() + STABLE_OFFSET_WAIT_MS;
    const backoff = this.options.backoffMs ?? { initial: 200, max: 5_000 };
    let delay = backoff.initial;
    for (;;) {
      if (!isRunning() || !this.running) return;
      let committed: bigint | undefined;
      try {
        await this.producerFor(topic, partition);
        committed = await this.committedOffset(topic, partition);
      } catch {
        this.dropProducer(this.transactionalId(topic, partition));
        await this.admin.stop().catch(() => undefined);
        await sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
        await heartbeat().catch(() => undefined);
        continue;
      }
      // After a broker restart the group coordinator can answer with an offset from before this process's own last
      // commit (its transaction's offsets are not materialized yet): resuming there wrote a committed chunk twice
      // (the fault matrix's broker kill, 20 duplicates). The same wait as at a join (checkStart).
      if (!isStableOffset(committed, own, giveUpAt)) {
        await sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
        await heartbeat().catch(() => undefined);
        continue;
      }
      // Nothing committed for the partition yet: this chunk was its first since the group's start position.
      const offset = committed === undefined ? chunkStart : committed.toString();
      if (committed !== undefined) this.lastCommitted.set(`${topic}:${partition}`, committed);
      this.consumer?.seek({ topic, partition, offset });
      this.options.logger.warn({ topic, partition, resumeAt: offset, chunkStart }, 'commit of unknown outcome settled: resuming from the committed offset');
      return;
    }
  }

  /**
   * kafkajs 2.2 reads a group's committed offsets without `require_stable` (KIP-447): after a join (a rebalance,
   * the group coordinator's broker dying, a consumer restart) it may start a partition at the offset before a
   * transaction whose commit is still completing (EndTxn has answered, the markers are not all written: for
   * seconds when a broker holding them died), and that transaction's records would be processed twice. So the
   * first batch of each partition after a join waits until the committed offset is stable: the partition's
   * producer is made (a new one's InitProducerId makes the coordinator finish a previous owner's transaction of
   * the same transactional id), and the committed offset is read until it has reached this process's own last
   * commit. A batch that starts before it is skipped by a seek. Resolves false when the batch must not be
   * processed (skipped, or stopping).
   */
  private async checkStart(topic: string, partition: number, first: string, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<boolean> {
    const own = this.lastCommitted.get(`${topic}:${partition}`);
    const giveUpAt = Date.now() + STABLE_OFFSET_WAIT_MS;
    let delay = 50;
    for (;;) {
      if (!isRunning() || !this.running) return false;
      let read: { committed: bigint | undefined } | undefined;
      try {
        await this.producerFor(topic, partition);
        read = { committed: await this.committedOffset(topic, partition) };
      } catch {
        // a broker or coordinator still moving: asked again
      }
      const committed = read?.committed;
      if (read && isStableOffset(committed, own, giveUpAt)) {
        if (committed === undefined || BigInt(first) >= committed) return true;
        this.consumer?.seek({ topic, partition, offset: committed.toString() });
        this.options.logger.warn({ topic, partition, batchStart: first, committed: committed.toString() }, 'batch starts before the committed offset: the committed records are skipped');
        return false;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
      await heartbeat().catch(() => undefined);
    }
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint | undefined> {
    return (await this.admin.committed(this.options.groupId, [topic])).get(topic)?.get(partition);
  }

  private pause(reason: string): void {
    if (this.pausedReason === undefined) {
      this.options.logger.warn({ reason }, 'dependency down: paused, nothing emitted or committed');
      publish({ type: 'paused', reason });
    }
    this.pausedReason = reason;
  }

  /** Policy `stop`: consume nothing more, commit nothing more, tell the owner once. */
  private fail(error: AmpsealError, why?: string): void {
    if (this.failure) return;
    this.failure = error;
    this.options.logger.error({ err: { code: error.code, reason: error.reason }, causes: causeNames(error.cause), ...(why ? { why } : {}) }, 'stream failed: stopping');
    publish({ type: 'failed', reason: error.reason });
    try {
      this.consumer?.pause(this.options.topics.map((topic) => ({ topic })));
    } catch {
      // not running any more: nothing to pause
    }
    this.options.onFailure?.(error);
  }

  private transactionalId(topic: string, partition: number): string {
    return `${this.options.transactionalIdPrefix}-${topic}-${partition}`;
  }

  /** Disconnects the producers of partitions this instance no longer owns: one that comes back gets a fresh one. */
  private dropProducersExcept(keep: ReadonlySet<string>): void {
    for (const id of [...this.producers.keys()]) if (!keep.has(id)) this.dropProducer(id);
  }

  private dropProducer(id: string): void {
    const producer = this.producers.get(id);
    if (!producer) return;
    this.producers.delete(id);
    producer.then((p) => p.disconnect()).catch(() => undefined);
  }

  private producerFor(topic: string, partition: number): Promise<Producer> {
    const id = this.transactionalId(topic, partition);
    let producer = this.producers.get(id);
    if (!producer) {
      producer = this.connectProducer(id);
      producer.catch(() => this.producers.delete(id));
      this.producers.set(id, producer);
    }
    return producer;
  }

  /** A transactional producer for one partition's id, or (at least once, no id) the stream's idempotent one. */
  private async connectProducer(transactionalId: string | undefined): Promise<Producer> {
    const p = producerOf(this.options.kafka, {
      ...(transactionalId !== undefined ? { transactionalId, transactionTimeout: 30_000 } : {}),
      idempotent: true,
      // kafkajs' idempotent producer keeps order and sequence numbers only with one request in flight.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // An idempotent producer retries until the broker answers (kafkajs' own default, stated here
      // because the client-wide retry is finite): a broker outage blocks the commit, it never skips it.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    await p.connect();
    if (transactionalId !== undefined) {
      // kafkajs sends the transactional id's InitProducerId only at a producer's first transaction() (connect()
      // initializes an idempotent producer id, not the transactional one). Made lazily, a member whose chunk was
      // in hand while the group moved its partition got the newest epoch only after the new owner had committed,
      // fenced that owner, and committed the chunk again (its offsets carry no group generation: no KIP-447): 21
      // duplicates in the port's conformance case "a handler call longer than the session". An empty transaction
      // begun and aborted makes the InitProducerId now (kafkajs sends no EndTxn for it): the coordinator finishes a
      // previous owner's transaction first, and whoever owns the partition after this producer fences it.
      const tx = await p.transaction();
      await tx.abort();
    }
    return p;
  }

  private async commit(topic: string, partition: number, outputs: readonly OutputRecord[], nextOffset: string): Promise<void> {
    const batches = await this.partitionCounts.route(outputs);
    const producer = await this.producerFor(topic, partition);
    const tx = await producer.transaction();
    try {
      await sendInTurn(batches, (request) => tx.sendBatch(request));
      await tx.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  /**
   * At least once: the chunk's outputs through the idempotent producer, in the same order and requests as a
   * transaction's, each acknowledged by all in-sync replicas; only then the offset after the chunk, committed
   * to the group (through the batch's own commit, which kafkajs makes even while the consumer is stopping, so a
   * clean stop commits the chunk in hand). A crash between the two leaves the offset before the chunk: the chunk
   * is handled again and its outputs written twice, never lost. A batch gone stale (a seek is pending for the
   * partition) commits nothing and resolves false: the partition goes on from where the seek puts it.
   */
  private async deliver(
    topic: string,
    partition: number,
    outputs: readonly OutputRecord[],
    nextOffset: string,
    isStale: () => boolean,
    commitOffsets: (offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => Promise<void>,
  ): Promise<boolean> {
    const batches = await this.partitionCounts.route(outputs);
    const producer = await this.idempotentProducer();
    await sendInTurn(batches, (request) => producer.sendBatch({ acks: -1, ...request }));
    if (isStale()) return false;
    await commitOffsets({ topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
    return true;
  }

  /**
   * At least once, after a failed write or offset commit: some of the chunk's outputs may be written, and the
   * commit may have gone through. The producer is replaced (a fresh producer id and sequence numbers: a send
   * that failed half-way cannot be taken for a duplicate of itself), and the partition resumes at the chunk's
   * first record, so whatever of it was written is written again rather than skipped.
   */
  private rewind(topic: string, partition: number, chunkStart: string): void {
    const producer = this.idempotent;
    this.idempotent = undefined;
    producer?.then((p) => p.disconnect()).catch(() => undefined);
    this.consumer?.seek({ topic, partition, offset: chunkStart });
    this.options.logger.warn({ topic, partition, resumeAt: chunkStart }, 'delivery failed: the chunk is written again (at least once)');
  }

  private idempotentProducer(): Promise<Producer> {
    if (!this.idempotent) {
      const producer = this.connectProducer(undefined);
      producer.catch(() => {
        if (this.idempotent === producer) this.idempotent = undefined;
      });
      this.idempotent = producer;
    }
    return this.idempotent;
  }

  async stop(): Promise<void> {
    this.running = false;
    // disconnect() waits for the batch in hand: its transaction either commits or never began.
    await this.consumer?.disconnect();
    const producers = [...this.producers.values(), ...(this.idempotent ? [this.idempotent] : [])];
    this.producers.clear();
    this.idempotent = undefined;
    await Promise.all(producers.map((p) => p.then((x) => x.disconnect()).catch(() => undefined)));
    await this.admin.stop();
  }
}

/**
 * A chunk's outputs, one partition per call and in turn (partitioned-send.ts says why; in a transaction, concurrent
 * calls would also race their AddPartitionsToTxn at the coordinator), each partition's records in requests of
 * bounded size (produce-requests.ts: one chunk's outputs can outgrow the broker's batch limit). One definition for
 * both deliveries: a transaction's sends and the idempotent producer's.
 */
async function sendInTurn(
  batches: readonly PartitionBatch[],
  send: (request: { topicMessages: Array<{ topic: string; messages: PartitionBatch['messages'] }> }) => Promise<unknown>,
): Promise<void> {
  for (const b of batches) {
    for (const messages of produceRequests(b.messages)) await send({ topicMessages: [{ topic: b.topic, messages }] });
  }
}

/** kafkajs headers (Buffer, string or a list of them) as text: handlers read them without knowing the client. */
function headerText(headers: Readonly<Record<string, Buffer | string | ReadonlyArray<Buffer | string> | undefined>>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) text[name] = first.toString();
  }
  return text;
}
