import { AmpsealError } from '@ampseal/core';
import type { PartitionOffsets } from './port';

type Listed = Iterable<readonly [partition: number, offset: bigint]>;

/**
 * One rule for both adapters' offset answers: per topic, each partition's end paired with its log start (0 when the
 * start was not listed). A topic without partitions is BROKER_UNAVAILABLE: callers name topics that must exist.
 */
export function pairOffsets(topics: readonly string[], ends: (topic: string) => Listed, starts: (topic: string) => Listed): Map<string, Map<number, PartitionOffsets>> {
  const out = new Map<string, Map<number, PartitionOffsets>>();
  for (const topic of topics) {
    const lows = new Map(starts(topic));
    const partitions = new Map<number, PartitionOffsets>();
    for (const [partition, high] of ends(topic)) partitions.set(partition, { low: lows.get(partition) ?? 0n, high });
    if (partitions.size === 0) throw new AmpsealError('BROKER_UNAVAILABLE', 'a topic to read has no partitions (does it exist?)');
    out.set(topic, partitions);
  }
  return out;
}
