/**
 * How a chunk's outputs are cut into produce requests inside one transaction.
 *
 * kafkajs sends everything of one `sendBatch` for a partition as one record batch, and the broker refuses a batch
 * over the topic's `max.message.bytes` (1 MiB by default) with MESSAGE_TOO_LARGE, which no retry cures. A chunk of
 * 2,000 outputs does not fit that bound in general: quarantine copies are raw records of up to the input limit
 * (256 KiB by default), so five malformed records in a row would make the chunk's transaction fail for ever and
 * wedge the partition. Cutting the outputs into requests of bounded size keeps every batch far below the broker's
 * limit; they are still one transaction, so readers see all of them or none.
 */

/** Per-request budget: half the broker's default `max.message.bytes`, leaving room for batch framing. */
export const MAX_PRODUCE_REQUEST_BYTES = 512 * 1024;

/** Per-record framing in a record batch (varint lengths, attributes, offset and timestamp deltas), rounded up. */
const RECORD_OVERHEAD_BYTES = 32;

type Bytes = string | Buffer | null | undefined;

/** A record as kafkajs takes it (its `Message`): header values may be strings, buffers or lists of them. */
interface Sized {
  readonly key?: Bytes;
  readonly value: Bytes;
  readonly headers?: Readonly<Record<string, Bytes | readonly (string | Buffer)[]>>;
}

const bytes = (v: Bytes): number => (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

/** Bytes a record takes in a batch, an upper bound of what the broker counts. */
export function recordBytes(r: Sized): number {
  let n = RECORD_OVERHEAD_BYTES + bytes(r.key) + bytes(r.value);
  if (r.headers) {
    for (const k in r.headers) {
      const v = r.headers[k];
      for (const one of Array.isArray(v) ? v : [v as Bytes]) n += 8 + Buffer.byteLength(k) + bytes(one);
    }
  }
  return n;
}

/**
 * Consecutive runs of `records`, in order, each at most `maxBytes` (a record larger than that alone forms its
 * own run: the broker then judges it against the topic's limit). One run when everything fits, no copy made.
 */
export function produceRequests<T extends Sized>(records: readonly T[], maxBytes = MAX_PRODUCE_REQUEST_BYTES): T[][] {
  const runs: T[][] = [];
  let start = 0;
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const n = recordBytes(records[i]!);
    if (i > start && size + n > maxBytes) {
      runs.push(records.slice(start, i));
      start = i;
      size = 0;
    }
    size += n;
  }
  // kafkajs reads the messages array and never writes it: the caller's array is handed on as it is.
  if (start === 0) return records.length > 0 ? [records as T[]] : [];
  runs.push(records.slice(start));
  return runs;
}
