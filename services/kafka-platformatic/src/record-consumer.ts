import { Consumer, FetchIsolationLevels, type Message, type MessagesStream } from '@platformatic/kafka';
import type { ReadRecord, RecordConsumerPort, RecordConsumerSpec } from '@ampseal/kafka';
import { baseOptions, closeConsumer, type PlatformaticConnection } from './client';
import { classifyFailure } from './failure-policy';
import { logClientEvents } from './log-mapper';
import { headerText } from './routing';

type Buffered = Message<Buffer, Buffer, Buffer, Buffer>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Records taken from the client's buffer at once (one handler call with `onBatch` per partition among them). */
const TAKE = 500;
const BACKOFF = { initial: 200, max: 5_000 } as const;

/** A library message as the port hands records to readers. */
export function readRecord(m: Buffered): ReadRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers.size > 0 ? headerText(m.headers) : {},
    timestamp: Number(m.timestamp),
  };
}

/**
 * The platformatic adapter's plain at-least-once read_committed group consumer (RecordConsumerPort), for side
 * effects that are idempotent: what is taken from the client's buffer is handled, then each partition's offset after
 * it is committed. A handler or consumer failure closes the consumer and opens it again after a backoff (it restarts
 * from the committed offsets, so a record whose handling failed is handled again), as kafkajs' `run` does.
 */
export class PlatformaticRecordConsumer implements RecordConsumerPort {
  readonly name: string;
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private messages: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private joined = false;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly connection: PlatformaticConnection,
    private readonly spec: RecordConsumerSpec,
  ) {
    this.name = spec.name;
  }

  get hasJoined(): boolean {
    return this.joined;
  }

  /** Resolves once the consumer has joined its group (or throws what stopped the first join). */
  async start(): Promise<void> {
    this.running = true;
    await this.open();
    this.loop = this.run();
  }

  private async open(): Promise<void> {
    const sessionTimeout = this.spec.sessionTimeoutMs ?? 30_000;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...baseOptions(this.connection, this.spec.name),
      groupId: this.spec.groupId,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: this.spec.maxWaitMs ?? 50,
    });
    this.consumer = consumer;
    logClientEvents(consumer as never, this.spec.logger.child({ component: 'platformatic-kafka' }));
    consumer.on('consumer:group:join', () => {
      this.joined = true;
    });
    try {
      this.messages = await consumer.consume({
        topics: [...this.spec.topics],
        mode: 'committed',
        fallbackMode: this.spec.fromBeginning ? 'earliest' : 'latest',
        autocommit: false,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        maxWaitTime: this.spec.maxWaitMs ?? 50,
      });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async close(): Promise<void> {
    const consumer = this.consumer;
    const messages = this.messages;
    this.consumer = undefined;
    this.messages = undefined;
    this.joined = false;
    await closeConsumer(consumer, messages);
  }

  private async run(): Promise<void> {
    let delay: number = BACKOFF.initial;
    while (this.running) {
      try {
        if (!this.consumer) await this.open();
        await this.consume(this.consumer!, this.messages!);
        delay = BACKOFF.initial;
      } catch (err) {
        if (!this.running) break;
        const { error } = classifyFailure(err);
        this.spec.logger.warn({ consumer: this.name, err: { code: error.code, reason: error.reason } }, 'record consumer failed: reopening');
        await this.close();
        await sleep(delay);
        delay = Math.min(delay * 2, BACKOFF.max);
      }
    }
  }

  private async consume(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, messages: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    while (this.running) {
      const first = await iterator.next();
      if (first.done) return;
      const taken: Buffered[] = [first.value];
      while (taken.length < TAKE && messages.readableLength > 0) {
        const more = await iterator.next();
        if (more.done) break;
        taken.push(more.value);
      }
      const byPartition = new Map<string, Buffered[]>();
      for (const m of taken) {
        const key = `${m.topic}:${m.partition}`;
        const list = byPartition.get(key);
        if (list) list.push(m);
        else byPartition.set(key, [m]);
      }
      for (const list of byPartition.values()) {
        const records = list.map(readRecord);
        if (this.spec.onBatch) await this.spec.onBatch(records);
        else for (const r of records) await this.spec.onRecord?.(r);
        const last = list[list.length - 1]!;
        await consumer.commit({ offsets: [{ topic: last.topic, partition: last.partition, offset: last.offset + 1n, leaderEpoch: last.leaderEpoch }] });
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await this.close();
  }
}
