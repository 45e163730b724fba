import { channel } from 'node:diagnostics_channel';
import { Admin, Consumer, FetchIsolationLevels, Producer, type Message, type MessagesStream } from '@platformatic/kafka';
import { AmpsealError } from '@ampseal/core';
import { ChunkBudget, STREAM_CHANNEL, causeNames, type ConsumedRecord, type OutputRecord, type StreamEvent, type StreamPort, type StreamSpec } from '@ampseal/kafka';
import { baseOptions, closeConsumer, type PlatformaticConnection } from './client';
import { classifyFailure } from './failure-policy';
import { logClientEvents } from './log-mapper';
import { PartitionRouter, headerText, sendInTurn } from './routing';

/** The platformatic adapter's stream: the port's spec and how to reach the brokers. */
export interface PlatformaticStreamOptions extends StreamSpec {
  readonly connection: PlatformaticConnection;
}

const events = channel(STREAM_CHANNEL);
function publish(event: StreamEvent): void {
  if (events.hasSubscribers) events.publish(event);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** As the kafkajs adapter: a committed offset behind this process's own last commit is waited for this long. */
const STABLE_OFFSET_WAIT_MS = 60_000;
/** Records taken from the client's buffer at once before they are cut into per-partition chunks. */
const TAKE_FACTOR = 2;
const LAG_INTERVAL_MS = 5_000;

/** Thrown inside the loop to rebuild the consumer (after a failed transaction): not a failure of the instance. */
class Restart extends Error {}
/** Thrown by a commit for a partition this member lost while handling the chunk: nothing committed, nothing failed. */
class NotOwned extends Error {}


/**
 * The transactional consume → transform → produce loop on @platformatic/kafka, with the kafkajs adapter's contract
 * (docs/guarantees.md): per chunk, one transaction holds the outputs and the consumer offset after it, added with
 * the group's generation and member id (TxnOffsetCommit, KIP-447 fencing); one transactional producer per input
 * partition (`<prefix>-<topic>-<partition>`), so whoever owns a partition next fences a zombie; the same chunk
 * budget, delivery modes, failure policy and diagnostics events.
 *
 * What differs, because of the client:
 * - the library delivers records one by one from a stream: what is buffered is taken at once and cut into
 *   per-partition chunks (never more than the chunk budget, never two partitions in one transaction);
 * - after a failed transaction the consumer is rebuilt (it rejoins the group and starts from the committed offsets)
 *   instead of a seek: the library has no seek;
 * - every partition's position is kept here (`next`): a record below it (already committed, or fetched again after a
 *   rejoin) is dropped, so the stream never goes backwards in a partition.
 */
export class PlatformaticStream implements StreamPort {
  readonly name = 'transactional-stream';
  private consumer: Consumer | undefined;
  private messages: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private admin: Admin | undefined;
  private readonly producers = new Map<string, Promise<Producer>>();
  private idempotent: Promise<Producer> | undefined;
  private readonly budget: ChunkBudget;
  private pausedReason: string | undefined;
  private failure: AmpsealError | undefined;
  private restarting: string | undefined;
  private assigned = false;
  private joined = false;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Partitions assigned at the last join whose start has not been checked against the stable committed offset. */
  private readonly unchecked = new Set<string>();
  /** Per partition, the next offset to handle: records below it are not handled again. */
  private readonly next = new Map<string, bigint>();
  /** Per partition, the offset this process's last commit moved the group to. */
  private readonly lastCommitted = new Map<string, bigint>();
  private router: PartitionRouter | undefined;
  private lastHandlingMs = 0;

  constructor(private readonly options: PlatformaticStreamOptions) {
    this.budget = new ChunkBudget(options.maxRecordsPerTransaction ?? 2_000, options.maxTransactionMs);
  }

  get blockedBy(): string | undefined {
    return this.pausedReason ?? this.restarting;
  }

  get failedBy(): AmpsealError | undefined {
    return this.failure;
  }

  get isAssigned(): boolean {
    return this.assigned;
  }

  get hasJoined(): boolean {
    return this.joined;
  }

  private get exactlyOnce(): boolean {
    return (this.options.delivery ?? 'exactly-once') === 'exactly-once';
  }

  /** Resolves once the consumer has joined the group and consumes (or throws what stopped the first join). */
  async start(): Promise<void> {
    this.running = true;
    this.admin = new Admin(baseOptions(this.options.connection, 'admin'));
    this.router = new PartitionRouter(this.admin);
    await this.open();
    this.loop = this.run();
  }

  private async open(): Promise<void> {
    const { connection, groupId, topics } = this.options;
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...baseOptions(connection, 'consumer'),
      groupId,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 50,
    });
    this.consumer = consumer;
    logClientEvents(consumer as never, this.options.logger.child({ component: 'platformatic-kafka' }));
    consumer.on('consumer:group:join', (payload) => {
      this.joined = true;
      const assignments = payload.assignments ?? consumer.assignments ?? [];
      this.assigned = assignments.some((a) => a.partitions.length > 0);
      this.unchecked.clear();
      const keep = new Set<string>();
      for (const a of assignments) {
        for (const p of a.partitions) {
          this.unchecked.add(`${a.topic}:${p}`);
          keep.add(this.transactionalId(a.topic, p));
        }
      }
      for (const id of [...this.producers.keys()]) if (!keep.has(id)) this.dropProducer(id);
    });
    consumer.on('consumer:lag', (lag) => {
      for (const [topic, partitions] of lag) partitions.forEach((l, partition) => l >= 0n && publish({ type: 'lag', topic, partition, lag: Number(l) }));
    });
    this.messages = await consumer.consume({
      topics: [...topics],
      mode: 'committed',
      fallbackMode: (this.options.fromBeginning ?? true) ? 'earliest' : 'latest',
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 50,
      // kafkajs' fetch sizes (the library's default is 50 MB a fetch, which held the pipeline at 300 MB RSS where
      // kafkajs holds 170 MB): a partition's fetch still holds a full chunk of ~500-byte records.
      maxBytes: 10 * 1024 * 1024,
      maxBytesPerPartition: 1024 * 1024,
      // The stream's buffer (records, not bytes): room for a few full chunks, so a chunk is cut by the budget and
      // not by the library's default of 1,024 buffered records.
      highWaterMark: (this.options.maxRecordsPerTransaction ?? 2_000) * TAKE_FACTOR,
    });
    consumer.startLagMonitoring({ topics: [...topics] }, LAG_INTERVAL_MS);
  }

  private async close(): Promise<void> {
    const consumer = this.consumer;
    const messages = this.messages;
    this.consumer = undefined;
    this.messages = undefined;
    this.joined = false;
    this.assigned = false;
    consumer?.stopLagMonitoring();
    await closeConsumer(consumer, messages);
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoffMs ?? { initial: 200, max: 5_000 };
    let delay = backoff.initial;
    while (this.running && !this.failure) {
      try {
        if (!this.consumer) await this.open();
        await this.consume(this.messages!);
        delay = backoff.initial;
      } catch (err) {
        if (!this.running || this.failure) break;
        if (!(err instanceof Restart)) {
          const { action, error } = classifyFailure(err);
          if (action !== 'retry') {
            this.fail(action === 'quarantine' ? new AmpsealError('STREAM_FAILED', 'the consumer stopped', { cause: err }) : error);
            break;
          }
          this.restarting = error.reason;
        }
        await this.close();
        await sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  /** Takes what the client has buffered, cuts it per partition and handles it; returns when the stream ends. */
  private async consume(messages: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    const take = (this.options.maxRecordsPerTransaction ?? 2_000) * TAKE_FACTOR;
    while (this.running && !this.failure) {
      const first = await iterator.next();
      if (first.done) return;
      const taken: Array<Message<Buffer, Buffer, Buffer, Buffer>> = [first.value];
      while (taken.length < take && messages.readableLength > 0) {
        const more = await iterator.next();
        if (more.done) break;
        taken.push(more.value);
      }
      const byPartition = new Map<string, Array<Message<Buffer, Buffer, Buffer, Buffer>>>();
      for (const m of taken) {
        const key = `${m.topic}:${m.partition}`;
        let list = byPartition.get(key);
        if (!list) byPartition.set(key, (list = []));
        list.push(m);
      }
      for (const [key, list] of byPartition) {
        if (!this.running || this.failure) return;
        await this.handlePartition(key, list);
      }
    }
  }

  private async handlePartition(key: string, fetched: Array<Message<Buffer, Buffer, Buffer, Buffer>>): Promise<void> {
    const { topic, partition } = fetched[0]!;
    if (this.exactlyOnce && this.unchecked.has(key)) {
      const committed = await this.stableCommitted(topic, partition);
      if (committed === null) return;
      if (committed !== undefined) this.next.set(key, committed);
      this.unchecked.delete(key);
    }
    const from = this.next.get(key);
    const messages = from === undefined ? fetched : fetched.filter((m) => m.offset >= from);
    for (let i = 0; i < messages.length; ) {
      if (!this.running || this.failure) return;
      // Records still buffered for a partition this member no longer owns are dropped: its owner reads them from
      // the committed offset, and if it comes back here the join moves the fetch position back to that offset.
      if (!this.owns(topic, partition)) return;
      const { size, closedBy } = this.budget.next(messages.length - i);
      const chunk = messages.slice(i, i + size);
      i += size;
      const records: ConsumedRecord[] = chunk.map((m) => ({
        topic,
        partition,
        offset: m.offset.toString(),
        key: m.key ?? null,
        value: m.value ?? null,
        ...(m.headers.size > 0 ? { headers: headerText(m.headers) } : {}),
      }));
      const t0 = Date.now();
      const outputs = await this.handleWithRetry(records);
      if (outputs === undefined) return;
      const last = chunk[chunk.length - 1]!;
      try {
        if (this.exactlyOnce) await this.commit(last, outputs);
        else await this.deliver(last, outputs);
      } catch (err) {
        if (!this.running || err instanceof NotOwned) return;
        const { action, error } = classifyFailure(err);
        if (action !== 'retry' && !(error.code === 'AMPSEAL_ERR_PRODUCER_FENCED' && !this.ownsPartition(topic, partition))) {
          this.fail(error);
          return;
        }
        // Retriable, or fenced by the partition's new owner: the producer is replaced and the consumer rebuilt,
        // which rejoins and starts from the committed offset (a new producer's InitProducerId first completes or
        // aborts the transaction of unknown outcome).
        this.restarting = error.reason;
        this.dropProducer(this.transactionalId(topic, partition));
        if (!this.exactlyOnce) this.dropIdempotent();
        this.options.logger.warn({ topic, partition, chunkStart: chunk[0]!.offset.toString(), err: { code: error.code }, causes: causeNames(err) }, 'transaction failed: the consumer is rebuilt and resumes from the committed offset');
        throw new Restart();
      }
      this.restarting = undefined;
      this.next.set(key, last.offset + 1n);
      this.lastCommitted.set(key, last.offset + 1n);
      publish({ type: 'transaction', topic, partition, records: chunk.length, outputs: outputs.length, durationMs: Date.now() - t0, handlingMs: Math.round(this.lastHandlingMs * 10) / 10, closedBy });
    }
  }

  /**
   * Exactly once, a partition's transactional producer is the token of its ownership: made only for a partition
   * assigned at the last join (`stableCommitted`), dropped at a join that takes it away. A member that made a new one
   * for a partition it lost would fence the partition's rightful owner and commit a chunk the owner had already
   * committed (the fault matrix's scale test, 7 duplicates, before this rule).
   */
  private owns(topic: string, partition: number): boolean {
    return this.exactlyOnce ? this.producers.has(this.transactionalId(topic, partition)) : this.ownsPartition(topic, partition);
  }

  private ownsPartition(topic: string, partition: number): boolean {
    return (this.consumer?.assignments ?? []).some((a) => a.topic === topic && a.partitions.includes(partition));
  }

  private async handleWithRetry(records: readonly ConsumedRecord[]): Promise<OutputRecord[] | undefined> {
    const backoff = this.options.backoffMs ?? { initial: 200, max: 5_000 };
    let delay = backoff.initial;
    for (;;) {
      try {
        const t0 = performance.now();
        const outputs = await this.options.handler(records);
        this.lastHandlingMs = performance.now() - t0;
        this.budget.observe(records.length, this.lastHandlingMs);
        if (this.pausedReason !== undefined) {
          this.options.logger.info({ after: this.pausedReason }, 'dependency back: resuming');
          this.pausedReason = undefined;
          publish({ type: 'resumed' });
        }
        return outputs;
      } catch (err) {
        const { action, error } = classifyFailure(err);
        if (action !== 'retry') {
          this.fail(error, action === 'quarantine' ? 'handler threw a per-record failure' : undefined);
          return undefined;
        }
        if (this.pausedReason === undefined) {
          this.options.logger.warn({ reason: error.reason }, 'dependency down: paused, nothing emitted or committed');
          publish({ type: 'paused', reason: error.reason });
        }
        this.pausedReason = error.reason;
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (!this.running) return undefined;
          await sleep(Math.min(250, until - Date.now()));
        }
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  /**
   * The partition's committed offset once it is stable: its producer is made first (a new InitProducerId makes the
   * coordinator finish a previous owner's transaction of the same id), then the offset is read with require_stable
   * (KIP-447: the broker answers only once no transaction holds pending offsets for the group), and until it has
   * reached this process's own last commit (as the kafkajs adapter waits). `undefined`: nothing committed yet;
   * `null`: stopping.
   */
  private async stableCommitted(topic: string, partition: number): Promise<bigint | undefined | null> {
    const own = this.lastCommitted.get(`${topic}:${partition}`);
    const giveUpAt = Date.now() + STABLE_OFFSET_WAIT_MS;
    let delay = 50;
    for (;;) {
      if (!this.running || this.failure) return null;
      try {
        await this.producerFor(topic, partition);
        const groups = await this.admin!.listConsumerGroupOffsets({ groups: [{ groupId: this.options.groupId, topics: [{ name: topic, partitionIndexes: [partition] }] }], requireStable: true });
        const found = groups[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.committedOffset;
        const committed = found === undefined || found < 0n ? undefined : found;
        if (own === undefined || (committed !== undefined && committed >= own) || Date.now() > giveUpAt) return committed;
      } catch (err) {
        // a broker or coordinator still moving: asked again
        this.options.logger.debug({ topic, partition, causes: causeNames(err) }, 'committed offset not read yet');
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }

  private transactionalId(topic: string, partition: number): string {
    return `${this.options.transactionalIdPrefix}-${topic}-${partition}`;
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

  /**
   * A transactional producer for one partition's id. `producerId: -1n, producerEpoch: -1`: the library sends 0/0 in
   * InitProducerId by default, which the coordinator takes as an expected producer (KIP-360) and refuses with
   * PRODUCER_FENCED as soon as the id has another producer (a restart, a partition moving): -1/-1 asks for a new
   * epoch, fencing the previous owner (feasibility.mjs shows both).
   */
  private async connectProducer(transactionalId: string): Promise<Producer> {
    const producer = new Producer({ ...baseOptions(this.options.connection, 'tx'), transactionalId, idempotent: true, acks: -1, producerId: -1n, producerEpoch: -1, retries: 8 });
    try {
      // The library asks for the producer id at its first transaction; an empty one is then dropped locally (an
      // EndTxn for a transaction without partitions is refused: INVALID_TXN_STATE).
      const tx = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      await tx.cancel();
    } catch (err) {
      await producer.close(true).catch(() => undefined);
      throw err;
    }
    return producer;
  }

  private dropProducer(id: string): void {
    const producer = this.producers.get(id);
    if (!producer) return;
    this.producers.delete(id);
    producer.then((p) => p.close(true)).catch(() => undefined);
  }

  private idempotentProducer(): Promise<Producer> {
    if (!this.idempotent) {
      const producer = new Producer({ ...baseOptions(this.options.connection, 'idempotent'), idempotent: true, acks: -1 });
      this.idempotent = Promise.resolve(producer);
    }
    return this.idempotent;
  }

  private dropIdempotent(): void {
    const producer = this.idempotent;
    this.idempotent = undefined;
    producer?.then((p) => p.close(true)).catch(() => undefined);
  }

  private async commit(last: Message<Buffer, Buffer, Buffer, Buffer>, outputs: readonly OutputRecord[]): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) throw new Restart();
    const batches = await this.router!.route(outputs);
    // Never a new producer here (see `owns`): a partition lost while the chunk was handled commits nothing.
    const pending = this.producers.get(this.transactionalId(last.topic, last.partition));
    if (!pending) throw new NotOwned();
    const producer = await pending;
    const tx = await producer.beginTransaction();
    try {
      await sendInTurn(batches, (messages) => tx.send({ messages }));
      await tx.addConsumer(consumer);
      // The offset after `last`, with the group's current generation and member id (the library commits offset + 1).
      await tx.addOffset({
        topic: last.topic,
        partition: last.partition,
        offset: last.offset,
        metadata: { consumer: { groupId: consumer.groupId, generationId: consumer.generationId, memberId: consumer.memberId, coordinatorId: consumer.coordinatorId } },
      } as unknown as Message);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  /** At least once: outputs through the idempotent producer, acknowledged by all in-sync replicas; then the offset. */
  private async deliver(last: Message<Buffer, Buffer, Buffer, Buffer>, outputs: readonly OutputRecord[]): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) throw new Restart();
    const batches = await this.router!.route(outputs);
    const producer = await this.idempotentProducer();
    await sendInTurn(batches, (messages) => producer.send({ messages, acks: -1 }));
    await consumer.commit({ offsets: [{ topic: last.topic, partition: last.partition, offset: last.offset + 1n, leaderEpoch: last.leaderEpoch }] });
  }

  private fail(error: AmpsealError, why?: string): void {
    if (this.failure) return;
    this.failure = error;
    this.options.logger.error({ err: { code: error.code, reason: error.reason }, causes: causeNames(error.cause), ...(why ? { why } : {}) }, 'stream failed: stopping');
    publish({ type: 'failed', reason: error.reason });
    // Consume nothing more: the loop ends at its next turn, the stream is closed so a pending read ends too.
    void this.messages?.close().catch(() => undefined);
    this.options.onFailure?.(error);
  }

  async stop(): Promise<void> {
    this.running = false;
    // The chunk in hand either commits or never began; a pending read is ended by closing the stream.
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await this.close();
    const producers = [...this.producers.values(), ...(this.idempotent ? [this.idempotent] : [])];
    this.producers.clear();
    this.idempotent = undefined;
    await Promise.all(producers.map((p) => p.then((x) => x.close()).catch(() => undefined)));
    await this.admin?.close().catch(() => undefined);
    this.admin = undefined;
  }
}
