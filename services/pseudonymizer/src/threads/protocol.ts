import { AmpsealError, ERRORS, type ErrorName } from '@ampseal/core';
import type { ConsumedRecord, OutputRecord } from '@ampseal/kafka';

/**
 * The messages between the consumer's thread and a handler thread (AMPSEAL_HANDLER_THREADS), and their encoding.
 * Pure: no thread is started here, so the round trips are unit-tested.
 *
 * Bytes cross as one transferable ArrayBuffer per chunk each way: the chunk's keys and values are copied once into
 * it (kafkajs' values are slices of its fetch buffer, which cannot be transferred), and read on the other side as
 * Buffer views over it, without a second copy. Everything else is structured-cloned (topic names once per chunk,
 * offsets as text, the few headers quarantine carries).
 */

/** Byte fields packed end to end; `lengths[i]` is field i's length, -1 for null. */
export interface PackedBytes {
  readonly buffer: ArrayBuffer;
  readonly lengths: Int32Array;
}

export function packBytes(fields: ReadonlyArray<Buffer | string | null>): PackedBytes {
  const lengths = new Int32Array(fields.length);
  let total = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const n = f === null || f === undefined ? -1 : typeof f === 'string' ? Buffer.byteLength(f) : f.length;
    lengths[i] = n;
    if (n > 0) total += n;
  }
  const buffer = new ArrayBuffer(total);
  const bytes = Buffer.from(buffer);
  let at = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f === null || f === undefined) continue;
    at += typeof f === 'string' ? bytes.write(f, at, 'utf8') : f.copy(bytes, at);
  }
  return { buffer, lengths };
}

/** Views over the packed buffer (no copy); null where the field was null. */
export function unpackBytes(packed: PackedBytes): Array<Buffer | null> {
  const out: Array<Buffer | null> = new Array(packed.lengths.length);
  let at = 0;
  for (let i = 0; i < packed.lengths.length; i++) {
    const n = packed.lengths[i]!;
    if (n < 0) {
      out[i] = null;
      continue;
    }
    out[i] = Buffer.from(packed.buffer, at, n);
    at += n;
  }
  return out;
}

/** One chunk to handle: a chunk is always one partition's records, in offset order. */
export interface HandleRequest {
  readonly type: 'handle';
  readonly id: number;
  readonly topic: string;
  readonly partition: number;
  readonly offsets: readonly string[];
  /** Key then value of each record. */
  readonly bytes: PackedBytes;
  /** `[record index, headers]` of the records that have headers. */
  readonly headers: ReadonlyArray<readonly [number, Readonly<Record<string, string>>]>;
}

export function encodeChunk(id: number, records: readonly ConsumedRecord[]): { message: HandleRequest; transfer: ArrayBuffer[] } {
  const first = records[0];
  const fields: Array<Buffer | null> = [];
  const headers: Array<readonly [number, Readonly<Record<string, string>>]> = [];
  const offsets: string[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    fields.push(r.key, r.value);
    offsets[i] = r.offset;
    if (r.headers) headers.push([i, r.headers]);
  }
  const bytes = packBytes(fields);
  return {
    message: { type: 'handle', id, topic: first?.topic ?? '', partition: first?.partition ?? 0, offsets, bytes, headers },
    transfer: [bytes.buffer],
  };
}

export function decodeChunk(message: HandleRequest): ConsumedRecord[] {
  const fields = unpackBytes(message.bytes);
  const records: ConsumedRecord[] = new Array(message.offsets.length);
  for (let i = 0; i < records.length; i++) {
    records[i] = { topic: message.topic, partition: message.partition, offset: message.offsets[i]!, key: fields[2 * i]!, value: fields[2 * i + 1]! };
  }
  for (const [i, h] of message.headers) records[i] = { ...records[i]!, headers: h };
  return records;
}

/** A diagnostics-channel event published inside a handler thread, re-published on the consumer's thread. */
export interface BridgedEvent {
  readonly channel: string;
  readonly message: unknown;
}

/** A chunk's outputs: keys and values as bytes (a string key or value crosses as its UTF-8 bytes: the same record on the wire). */
export interface HandleReply {
  readonly type: 'handled';
  readonly id: number;
  readonly topics: readonly string[];
  /** Index into `topics` per output. */
  readonly topicOf: Uint16Array;
  readonly bytes: PackedBytes;
  readonly headers: ReadonlyArray<readonly [number, Record<string, string>]>;
  readonly events: readonly BridgedEvent[];
}

export function encodeOutputs(id: number, outputs: readonly OutputRecord[], events: readonly BridgedEvent[]): { message: HandleReply; transfer: ArrayBuffer[] } {
  const topics: string[] = [];
  const index = new Map<string, number>();
  const topicOf = new Uint16Array(outputs.length);
  const fields: Array<Buffer | string | null> = [];
  const headers: Array<readonly [number, Record<string, string>]> = [];
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    let t = index.get(o.topic);
    if (t === undefined) {
      t = topics.push(o.topic) - 1;
      index.set(o.topic, t);
    }
    topicOf[i] = t;
    fields.push(o.key, o.value);
    if (o.headers) headers.push([i, o.headers]);
  }
  const bytes = packBytes(fields);
  return { message: { type: 'handled', id, topics, topicOf, bytes, headers, events }, transfer: [bytes.buffer] };
}

export function decodeOutputs(message: HandleReply): OutputRecord[] {
  const fields = unpackBytes(message.bytes);
  const outputs: OutputRecord[] = new Array(message.topicOf.length);
  for (let i = 0; i < outputs.length; i++) {
    outputs[i] = { topic: message.topics[message.topicOf[i]!]!, key: fields[2 * i]!, value: fields[2 * i + 1] ?? Buffer.alloc(0) };
  }
  for (const [i, h] of message.headers) outputs[i] = { ...outputs[i]!, headers: h };
  return outputs;
}

/**
 * A thrown value as data. What the failure policy reads (classifyFailure: an AmpsealError's table entry, else the
 * kafkajs-like name, type, code, retriable flag and message along the cause chain) survives the crossing, so a
 * handler thread's failure is classified exactly as the same failure in-thread.
 */
export type WireError =
  | { readonly kind: 'ampseal'; readonly name: ErrorName; readonly message: string; readonly pointer?: string; readonly keyword?: string; readonly cause?: WireError }
  | {
      readonly kind: 'error';
      readonly name: string;
      readonly message: string;
      readonly type?: string;
      readonly code?: string | number;
      readonly retriable?: boolean;
      readonly cause?: WireError;
    };

const MAX_CAUSES = 10;

export function encodeError(err: unknown, depth = 0): WireError {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const inner = cause !== undefined && cause !== null && depth < MAX_CAUSES ? { cause: encodeError(cause, depth + 1) } : {};
  if (err instanceof AmpsealError) {
    const name = err.code.slice('AMPSEAL_ERR_'.length) as ErrorName;
    if (name in ERRORS) {
      return {
        kind: 'ampseal',
        name,
        message: err.message,
        ...(err.pointer !== undefined ? { pointer: err.pointer } : {}),
        ...(err.keyword !== undefined ? { keyword: err.keyword } : {}),
        ...inner,
      };
    }
  }
  if (err === null || typeof err !== 'object') return { kind: 'error', name: typeof err, message: '', ...inner };
  const { name, message, type, code, retriable } = err as { name?: unknown; message?: unknown; type?: unknown; code?: unknown; retriable?: unknown };
  return {
    kind: 'error',
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : '',
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof retriable === 'boolean' ? { retriable } : {}),
    ...inner,
  };
}

export function decodeError(wire: WireError): Error {
  const cause = wire.cause === undefined ? undefined : decodeError(wire.cause);
  if (wire.kind === 'ampseal') {
    const error = new AmpsealError(wire.name, undefined, {
      ...(cause !== undefined ? { cause } : {}),
      ...(wire.pointer !== undefined ? { pointer: wire.pointer } : {}),
      ...(wire.keyword !== undefined ? { keyword: wire.keyword } : {}),
    });
    error.message = wire.message;
    return error;
  }
  const error = new Error(wire.message, cause !== undefined ? { cause } : undefined) as Error & { type?: string; code?: string | number; retriable?: boolean };
  error.name = wire.name;
  if (wire.type !== undefined) error.type = wire.type;
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.retriable !== undefined) error.retriable = wire.retriable;
  return error;
}

/** A chunk the handler threw for: nothing of it is produced (the stream retries or stops, by the failure policy). */
export interface HandleFailed {
  readonly type: 'failed';
  readonly id: number;
  readonly error: WireError;
  readonly events: readonly BridgedEvent[];
}

/** Receipts consumed on the consumer's thread reach every handler thread's key cache (K21), and are acknowledged. */
export interface EvictRequest {
  readonly type: 'evict';
  readonly id: number;
  readonly tenant: string;
  readonly tokens: readonly string[];
}

export interface EvictReply {
  readonly type: 'evicted';
  readonly id: number;
  readonly evicted: number;
  readonly events: readonly BridgedEvent[];
}

/** The roaming topic directory lives on the consumer's thread (it holds the Kafka admin client): asked per chunk. */
export interface TopicsRequest {
  readonly type: 'topics';
  readonly id: number;
  readonly topics: readonly string[];
}

export interface TopicsReply {
  readonly type: 'topics';
  readonly id: number;
  readonly existing?: readonly string[];
  readonly error?: WireError;
}

export interface StopRequest {
  readonly type: 'stop';
}

/** After its key ring started (`ready`) or failed to (`start-failed`); `stopped` once its key ring is stopped. */
export type LifecycleReply =
  | { readonly type: 'ready'; readonly events: readonly BridgedEvent[] }
  | { readonly type: 'start-failed'; readonly error: WireError }
  | { readonly type: 'stopped'; readonly events: readonly BridgedEvent[] }
  | { readonly type: 'events'; readonly events: readonly BridgedEvent[] }
  /** One line of the thread's logger (pino JSON, redacted there), logged again by the main thread's logger. */
  | { readonly type: 'log'; readonly line: string };

const LEVELS: Readonly<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A thread's log line as the main thread's logger takes it: its level, its own fields and its message; pino's own
 * fields (time, pid, hostname, the service name) are the main logger's to add. Undefined for a line that is not
 * pino's JSON.
 */
export function logEntry(line: string): { level: (typeof LEVELS)[number]; fields: Record<string, unknown>; msg: string | undefined } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { level, msg, time, pid, hostname, name, service, ...fields } = parsed as Record<string, unknown>;
  const method = typeof level === 'number' ? LEVELS[level] : undefined;
  if (!method) return undefined;
  return { level: method, fields, msg: typeof msg === 'string' ? msg : undefined };
}

export type ToThread = HandleRequest | EvictRequest | TopicsReply | StopRequest;
export type FromThread = HandleReply | HandleFailed | EvictReply | TopicsRequest | LifecycleReply;
