import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { ANALYTICS_SCHEMA_FILE } from '@ampseal/core';
import { avroEncoderFor } from '@ampseal/kafka';
import { KEYRING_CHANNEL, type KeyRing } from '@ampseal/keyring';
import { createLogger, openKeyRing } from '@ampseal/service-kit';
import { PIPELINE_CHANNEL, createRecordHandler, pipelineTransform } from '../handler';
import { decodeChunk, decodeError, encodeError, encodeOutputs, type BridgedEvent, type FromThread, type HandleRequest, type ToThread } from './protocol';
import type { ThreadData } from './thread-data';

/**
 * A handler thread: the pseudonymizer's whole record handler (parse, validation, transform, key ring, Avro) on its
 * own key ring, transform and encoder, built from the validated configuration its main thread passed in. Kafka stays
 * on the main thread; chunks come in and outputs go back as messages (protocol.ts).
 */
const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** Diagnostics events of this thread, sent along with the next reply (or on their own, soon, between chunks). */
let events: BridgedEvent[] = [];
let flushScheduled = false;
const take = (): BridgedEvent[] => {
  const out = events;
  events = [];
  return out;
};
for (const name of [KEYRING_CHANNEL, PIPELINE_CHANNEL]) {
  subscribe(name, (message) => {
    events.push({ channel: name, message });
    if (!flushScheduled) {
      flushScheduled = true;
      // A key-set refresh or a Redis round trip outside a chunk: reported within a tick, not held for the next chunk.
      setImmediate(() => {
        flushScheduled = false;
        if (events.length > 0) post({ type: 'events', events: take() });
      });
    }
  });
}

const pendingTopics = new Map<number, { resolve: (existing: ReadonlySet<string>) => void; reject: (err: Error) => void }>();
let nextTopicsId = 0;

async function main(): Promise<void> {
  // Lines go to the main thread's logger (one log stream per process, and what a test captures there).
  const logger = createLogger({ level: data.config.logLevel, name: 'pseudonymizer' }, { write: (line: string) => post({ type: 'log', line }) }).child({ thread: data.index });
  let keyring: KeyRing;
  try {
    keyring = await openKeyRing(data.keyring, data.config, logger);
  } catch (err) {
    post({ type: 'start-failed', error: encodeError(err) });
    return;
  }
  const { config } = data;
  const transform = pipelineTransform(config, keyring);
  const handler = createRecordHandler({
    transform,
    encoder: data.schemaId === undefined ? undefined : avroEncoderFor(data.schemaId, ANALYTICS_SCHEMA_FILE),
    topics: config.topics,
    roamingRecipients: new Set(config.roamingRecipients),
    roamingTopics: {
      existing: (topics) =>
        new Promise((resolve, reject) => {
          const id = nextTopicsId++;
          pendingTopics.set(id, { resolve, reject });
          post({ type: 'topics', id, topics: [...topics] });
        }),
    },
  });

  // One chunk at a time: the transform and key ring are built for one caller, as on the main thread. Evictions are
  // not queued behind chunks: they apply at once, between two awaits of a chunk in hand (K21's epochs cover that).
  let queue: Promise<void> = Promise.resolve();
  const handle = async (request: HandleRequest) => {
    try {
      const outputs = await handler(decodeChunk(request));
      const { message, transfer } = encodeOutputs(request.id, outputs, take());
      post(message, transfer);
    } catch (err) {
      post({ type: 'failed', id: request.id, error: encodeError(err), events: take() });
    }
  };

  port.on('message', (message: ToThread) => {
    switch (message.type) {
      case 'handle':
        queue = queue.then(() => handle(message));
        break;
      case 'evict': {
        const evicted = message.tokens.length > 0 ? keyring.evict(message.tenant, message.tokens) : 0;
        post({ type: 'evicted', id: message.id, evicted, events: take() });
        break;
      }
      case 'topics': {
        const pending = pendingTopics.get(message.id);
        pendingTopics.delete(message.id);
        if (message.error) pending?.reject(decodeError(message.error));
        else pending?.resolve(new Set(message.existing ?? []));
        break;
      }
      case 'stop':
        void queue.then(async () => {
          await keyring.stop().catch((err: unknown) => logger.warn({ err: { name: (err as Error).name } }, 'key ring did not stop cleanly'));
          post({ type: 'stopped', events: take() });
          // Nothing else keeps the thread: it ends by itself (and writes its --cpu-prof profile, which a terminate would not).
          port.close();
        });
        break;
    }
  });
  post({ type: 'ready', events: take() });
}

void main();
