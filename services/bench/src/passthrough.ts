import { subscribe } from 'node:diagnostics_channel';
import { STREAM_CHANNEL, ensureTopics, type OutputRecord, type StreamEvent, type StreamSpec } from '@ampseal/kafka';
import { connectKafka, createLogger } from '@ampseal/service-kit';

/**
 * The passthrough of design §10, run as a child process (`node services/bench/dist/passthrough.js '<json>'`):
 * the same transactional stream the pseudonymizer runs, on the client the run names (the same `connectKafka`) (read_committed consumer, eachBatch, one transactional
 * producer per input partition, outputs and offsets in one transaction per chunk), with a handler that copies
 * each record unchanged to one output topic. So the pipeline/passthrough ratio is the cost of the
 * pseudonymization alone, at the same client settings.
 *
 * Talks to the parent over IPC: `ready` once in the group, `done` with its own timing once `expected` records
 * were committed; exits on `stop`.
 */
export interface PassthroughConfig {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly partitions: number;
  readonly expected: number;
  readonly maxRecordsPerTransaction: number;
  /** The adapter of the Kafka port the stream runs on (the bench's --client). */
  readonly client: 'kafkajs' | 'platformatic';
}

export type PassthroughMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly records: number; readonly outputs: number; readonly firstConsumeToLastCommitMs: number; readonly transactions: number };

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as PassthroughConfig;
  const send = (message: PassthroughMessage) => process.send?.(message);
  const logger = createLogger({ level: 'warn', name: 'bench-passthrough' });
  const kafka = await connectKafka({ kafkaBrokers: config.brokers, kafkaClient: config.client, kafkaSecurity: {} }, `bench-passthrough-${process.pid}`, logger);
  await ensureTopics(kafka, [{ topic: config.output, partitions: config.partitions }]);

  let firstConsume = 0;
  let records = 0;
  let outputs = 0;
  let transactions = 0;
  let reported = false;
  const output = config.output;
  const empty = Buffer.alloc(0);
  subscribe(STREAM_CHANNEL, (message) => {
    const event = message as StreamEvent;
    if (event.type !== 'transaction') return;
    records += event.records;
    outputs += event.outputs;
    transactions++;
    if (!reported && records >= config.expected) {
      reported = true;
      send({ type: 'done', records, outputs, transactions, firstConsumeToLastCommitMs: performance.now() - firstConsume });
    }
  });
  const spec: StreamSpec = {
    groupId: config.groupId,
    topics: config.inputs,
    transactionalIdPrefix: `${config.groupId}-tx`,
    logger: logger.child({ component: 'stream' }),
    maxRecordsPerTransaction: config.maxRecordsPerTransaction,
    handler: async (consumed) => {
      if (firstConsume === 0) firstConsume = performance.now();
      const out: OutputRecord[] = new Array(consumed.length);
      for (let i = 0; i < consumed.length; i++) {
        const r = consumed[i]!;
        out[i] = { topic: output, key: r.key, value: r.value ?? empty };
      }
      return out;
    },
  };
  const stream = kafka.stream(spec);
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'stop') return;
    stream.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await stream.start();
  while (!stream.hasJoined) await new Promise((r) => setTimeout(r, 5));
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`passthrough failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
