import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKAJS_VERSION, readUncommittedCluster } from './high-watermark';

// Pins the one kafkajs internal the exact reader uses (high-watermark.ts) without a broker; test/smoke/kafka.test.ts
// proves the answer against a real one. Nothing here connects: the broker address is never dialled.
const kafka = () => new Kafka({ clientId: 'pin', brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING });

describe('the high-watermark read pinned to kafkajs internals', () => {
  it('is written for the exact kafkajs version the package depends on', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBe(KAFKAJS_VERSION);
  });

  it("gets a READ_UNCOMMITTED cluster from the Kafka instance's private cluster factory", () => {
    const cluster = readUncommittedCluster(kafka());
    expect(cluster.isolationLevel).toBe(0);
    for (const method of ['connect', 'disconnect', 'refreshMetadata', 'addMultipleTargetTopics', 'findTopicPartitionMetadata', 'fetchTopicsOffset'] as const) {
      expect(typeof cluster[method]).toBe('function');
    }
  });

  it("sends ListOffsets with the cluster's isolation level (kafkajs' own fetchTopicsOffset, a recording broker)", async () => {
    const cluster = readUncommittedCluster(kafka()) as unknown as Record<string, unknown> & { fetchTopicsOffset: (t: unknown) => Promise<unknown> };
    const sent: unknown[] = [];
    cluster.findLeaderForPartitions = () => ({ 1: [0] });
    cluster.findBroker = async () => ({
      listOffsets: async (request: { isolationLevel: number; topics: Array<{ topic: string }> }) => {
        sent.push(request);
        return { responses: [{ topic: 't', partitions: [{ partition: 0, offset: '7' }] }] };
      },
    });
    const answer = await cluster.fetchTopicsOffset([{ topic: 't', fromBeginning: false, partitions: [{ partition: 0 }] }]);
    expect(sent).toEqual([{ isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -1 }] }] }]);
    expect(answer).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '7' }] }]);
  });

  it('refuses, as an internal error, a kafkajs whose cluster factory is not where 2.2.4 keeps it', () => {
    expect(() => readUncommittedCluster({} as Kafka)).toThrow(expect.objectContaining({ code: 'AMPSEAL_ERR_INTERNAL' }));
  });
});
