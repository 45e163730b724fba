import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { AdminPort, PartitionOffsets } from './port';
import { adminOf, type Tracking } from './raw';
import { highWatermarksOf } from './high-watermark';
import type { PartitionReplicas, TopicReplication, TopicSpec } from './topics';

/** The kafkajs adapter's admin connection (AdminPort): one kafkajs admin, connected on first use. */
export class KafkajsAdmin implements AdminPort {
  private admin: Promise<Admin> | undefined;

  constructor(private readonly client: Tracking) {}

  private connected(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = adminOf(this.client);
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => {
        this.admin = undefined;
      });
    }
    return this.admin;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  async listTopics(): Promise<string[]> {
    return (await this.connected()).listTopics();
  }

  async createTopics(specs: readonly TopicSpec[], replication: TopicReplication): Promise<void> {
    // kafkajs resolves false for a topic that exists already: not a failure.
    await (await this.connected()).createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({
        topic: s.topic,
        ...(s.replicas
          ? { replicaAssignment: s.replicas.map((replicas, partition) => ({ partition, replicas: [...replicas] })) }
          : { numPartitions: s.partitions, replicationFactor: replication.factor }),
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    await (await this.connected()).deleteTopics({ topics: [...topics], timeout: 30_000 });
  }

  /** kafkajs' admin sends ListOffsets without an isolation level, which the broker takes as READ_COMMITTED. */
  async stableOffsets(topic: string): Promise<Map<number, PartitionOffsets>> {
    const offsets = await (await this.connected()).fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  }

  highWatermarks(topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>> {
    return highWatermarksOf(this.client, topics);
  }

  async partitionLeaders(topic: string): Promise<Map<number, PartitionReplicas>> {
    const { topics } = await (await this.connected()).fetchTopicMetadata({ topics: [topic] });
    const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
    return new Map(partitions.map((p) => [p.partitionId, { leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }]));
  }

  async topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string>> {
    const { resources } = await (await this.connected()).describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...names] }],
    });
    return new Map((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
  }

  async committed(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    const offsets = await (await this.connected()).fetchOffsets({ groupId, topics: [...topics] });
    const out = new Map<string, Map<number, bigint>>();
    for (const t of offsets) {
      const partitions = new Map<number, bigint>();
      for (const p of t.partitions) if (Number(p.offset) >= 0) partitions.set(p.partition, BigInt(p.offset));
      out.set(t.topic, partitions);
    }
    return out;
  }
}
