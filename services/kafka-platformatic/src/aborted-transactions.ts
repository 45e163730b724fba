import { tracingChannel } from 'node:diagnostics_channel';

/**
 * @platformatic/kafka 2.12.1 delivers records of aborted transactions to read_committed readers: its filter keeps one
 * aborted range per producer id and fetch response (a Map keyed by producer id, the last listed range wins), so when
 * one producer (one transactional id: ours are one per partition) aborted two transactions that fall in the same
 * fetch, the first one's records are delivered; and a range whose abort marker is not in the same response is kept
 * "for safety", delivered too. Reproduced on Kafka 4.4 (services/kafka-platformatic/feasibility/feasibility.mjs:
 * tx2's aborted records seen by a read_committed reader).
 *
 * The fetch response passes through the library's `plt:kafka:consumer:fetches` tracing channel before its messages
 * are pushed (`asyncStart`, when the fetch's callback is called): there it is filtered again as the Java client
 * does (KIP-98): the aborted transactions sorted by first offset, a producer counted aborted from its aborted
 * transaction's first offset until its abort marker, and every data batch of an aborted producer emptied. A batch is
 * emptied, not removed, so the stream's position still moves past it (it reads the last batch's last offset).
 */

interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

interface Batch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  records: Array<{ key?: Buffer | null }>;
}

interface FetchPartition {
  readonly abortedTransactions?: readonly AbortedTransaction[] | null;
  readonly records?: Batch[] | null;
}

interface FetchContext {
  readonly result?: { readonly responses?: ReadonlyArray<{ readonly partitions: readonly FetchPartition[] }> };
}

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
/** A control record's key: version (int16) then type (int16), 0 = abort, 1 = commit. */
const ABORT = 0;

/** Empties the data batches of aborted transactions in one partition's fetched batches (exported for its unit test). */
export function dropAborted(partition: FetchPartition): number {
  const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  if (aborted.length === 0 || !partition.records) return 0;
  const open = new Set<bigint>();
  let next = 0;
  let emptied = 0;
  for (const batch of partition.records) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (next < aborted.length && aborted[next]!.firstOffset <= last) open.add(aborted[next++]!.producerId);
    if (batch.attributes & IS_CONTROL) {
      const key = batch.records[0]?.key;
      if (key && key.length >= 4 && key.readInt16BE(2) === ABORT) open.delete(batch.producerId);
    } else if (batch.attributes & IS_TRANSACTIONAL && open.has(batch.producerId) && batch.records.length > 0) {
      batch.records = [];
      emptied++;
    }
  }
  return emptied;
}

function onFetched(message: unknown): void {
  for (const topic of (message as FetchContext).result?.responses ?? []) for (const partition of topic.partitions) dropAborted(partition);
}

let installed = false;

/** Subscribes the filter once per process (a read_uncommitted fetch carries no aborted transactions: untouched). */
export function installAbortedTransactionFilter(): void {
  if (installed) return;
  installed = true;
  tracingChannel('plt:kafka:consumer:fetches').subscribe({ start() {}, end() {}, asyncStart: onFetched, asyncEnd() {}, error() {} });
}
