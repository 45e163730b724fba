import { createRequire } from 'node:module';
import { AmpsealError } from '@ampseal/core';
import { KAFKAJS_VERSION, installedKafkajsVersion } from './kafkajs-version';

/**
 * Which records of a read_committed fetch belong to aborted transactions, decided as the Java consumer does.
 *
 * kafkajs 2.2.4 gets this wrong (its consumer/filterAbortedMessages.js): it walks the fetch's aborted-transaction
 * list as a queue in the order the broker sent it and takes at most one entry per record. The broker lists aborted
 * transactions in the order their abort markers were written, not by first offset, so when two transactions
 * overlap and the one that began first is aborted last (what a crash leaves: a killed instance's open transaction
 * is aborted only once a later instance takes its partition), the earlier one's records before the later one's
 * first offset are delivered as if committed. A read_committed reader then sees aborted output: duplicates in
 * analytics, tombstones and receipts that never were. Proved by test/smoke/kafka.test.ts "read_committed with
 * overlapping aborted transactions" (it delivered the three aborted records before this filter).
 *
 * The rule: in offset order, a transaction becomes aborted-and-open at its first offset (every listed entry whose
 * first offset is at or below the record's offset, all of them, not one), and closes at its producer's abort marker;
 * a transactional record of a producer with an open aborted transaction is aborted.
 */
export interface FetchedRecord {
  readonly offset: string;
  readonly isControlRecord?: boolean;
  readonly key?: Buffer | null;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const isAbortMarker = (r: FetchedRecord) => r.isControlRecord === true && r.key != null && Buffer.from(r.key).equals(ABORT_MARKER_KEY);

/** The records of `records` that belong to aborted transactions (control records never do). */
export function abortedRecords<T extends FetchedRecord>(records: readonly T[], aborted: readonly AbortedTransaction[] | undefined): Set<T> {
  const out = new Set<T>();
  if (!aborted || aborted.length === 0) return out;
  const pending = [...aborted].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0));
  const open = new Set<string>();
  let next = 0;
  for (const record of records) {
    const offset = BigInt(record.offset);
    while (next < pending.length && BigInt(pending[next]!.firstOffset) <= offset) open.add(pending[next++]!.producerId);
    const { producerId, inTransaction } = record.batchContext;
    if (isAbortMarker(record)) open.delete(producerId);
    else if (inTransaction && open.has(producerId) && !record.isControlRecord) out.add(record);
  }
  return out;
}

interface FetchPartition {
  abortedTransactions?: AbortedTransaction[];
  messages?: Array<FetchedRecord & { isControlRecord?: boolean }>;
}
interface FetchProtocol {
  versions: string[];
  protocol: (v: { version: number }) => (args: unknown) => { response: { parse: (data: unknown) => Promise<unknown> } };
}

let installed = false;

/**
 * Puts {@link abortedRecords} in front of kafkajs' own filter: in every Fetch response as it is parsed, the records of
 * aborted transactions are flagged as control records (which kafkajs never delivers, yet counts for its offsets) and
 * the aborted-transaction list is emptied so kafkajs' filter has nothing left to get wrong. kafkajs looks the Fetch
 * definition up on its requests table at each call, so replacing that entry takes effect for every client of this
 * module registry. Refuses any other kafkajs version (the response shape is 2.2.4's).
 */
export function installAbortedTransactionFilter(): void {
  if (installed) return;
  const version = installedKafkajsVersion();
  // The table of request definitions the broker module destructured at load: the same object, read at each call.
  const requests = (createRequire(__filename)('kafkajs/src/protocol/requests') as { requests?: { Fetch?: FetchProtocol } }).requests;
  const original = requests?.Fetch;
  if (version !== KAFKAJS_VERSION || !requests || !original || typeof original.protocol !== 'function') {
    throw new AmpsealError('INTERNAL', `the aborted-transaction filter is written for kafkajs ${KAFKAJS_VERSION} (kafkajs ${version} is installed)`);
  }
  requests.Fetch = {
    versions: original.versions,
    protocol: (v) => {
      const build = original.protocol(v);
      return (args) => {
        const built = build(args);
        const parse = built.response.parse;
        return {
          ...built,
          response: {
            ...built.response,
            parse: async (data: unknown) => {
              const parsed = (await parse(data)) as { responses?: Array<{ partitions?: FetchPartition[] }> };
              for (const topic of parsed.responses ?? []) {
                for (const partition of topic.partitions ?? []) {
                  if (!partition.abortedTransactions?.length || !partition.messages) continue;
                  // Flagged, never removed: kafkajs takes its next fetch offset from the last record it was given,
                  // so a removed tail would be fetched again for ever; it drops control records itself.
                  for (const record of abortedRecords(partition.messages, partition.abortedTransactions)) record.isControlRecord = true;
                  partition.abortedTransactions = [];
                }
              }
              return parsed;
            },
          },
        };
      };
    },
  };
  installed = true;
}
