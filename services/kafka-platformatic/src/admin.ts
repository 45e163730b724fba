import { Admin, ConfigResourceTypes, FetchIsolationLevels, ListOffsetTimestamps, type FetchIsolationLevelValue } from '@platformatic/kafka';
import { AmpsealError } from '@ampseal/core';
import { pairOffsets, type AdminPort, type PartitionOffsets, type PartitionReplicas, type TopicReplication, type TopicSpec } from '@ampseal/kafka';
import { baseOptions, type PlatformaticConnection } from './client';
import { hasKafkaError, platformaticFailure } from './failure-policy';

/** Tries of a ListOffsets before a retriable failure (a leader moving, a broker restarting) is given up, as kafkajs'. */
const ATTEMPTS = 8;
/** How long a created topic's partitions may take to get leaders (kafkajs' `waitForLeaders` waits as well). */
const LEADERS_WAIT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A library failure as the error table's entry (an AmpsealError passes as it is). */
async function mapped<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    throw err instanceof AmpsealError ? err : platformaticFailure(err);
  }
}

/**
 * The platformatic adapter's admin connection (AdminPort): one library Admin, which connects on its first request.
 * What it throws is the error table's (BROKER_UNAVAILABLE, KAFKA_AUTHORIZATION…), never a library error.
 */
export class PlatformaticAdmin implements AdminPort {
  private readonly admin: Admin;

  constructor(connection: PlatformaticConnection) {
    this.admin = new Admin(baseOptions(connection, 'admin'));
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }

  listTopics(): Promise<string[]> {
    return mapped(this.admin.listTopics());
  }

  /**
   * One request per topic (the library sends one configuration list for all the topics of a request), then waits
   * until each created partition has a leader, so a producer right after creation finds them.
   */
  createTopics(specs: readonly TopicSpec[], replication: TopicReplication): Promise<void> {
    return mapped(this.create(specs, replication));
  }

  private async create(specs: readonly TopicSpec[], replication: TopicReplication): Promise<void> {
    for (const s of specs) {
      try {
        await this.admin.createTopics({
          topics: [s.replicas ? { topic: s.topic, assignments: s.replicas.map((brokers, partition) => ({ partition, brokers: [...brokers] })) } : s.topic],
          ...(s.replicas ? {} : { partitions: s.partitions, replicas: replication.factor }),
          configs: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (err) {
        if (!hasKafkaError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
      }
    }
    const deadline = Date.now() + LEADERS_WAIT_MS;
    for (const s of specs) {
      for (;;) {
        const leaders = await this.partitionLeaders(s.topic).catch(() => new Map<number, PartitionReplicas>());
        const wanted = s.replicas?.length ?? s.partitions;
        if (leaders.size >= wanted && [...leaders.values()].every((p) => p.leader >= 0)) break;
        if (Date.now() > deadline) throw new AmpsealError('BROKER_UNAVAILABLE', 'a created topic has partitions without a leader');
        await sleep(100);
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    await mapped(this.admin.deleteTopics({ topics: [...topics] }));
  }

  async stableOffsets(topic: string): Promise<Map<number, PartitionOffsets>> {
    return (await this.offsets([topic], FetchIsolationLevels.READ_COMMITTED)).get(topic)!;
  }

  highWatermarks(topics: readonly string[]): Promise<Map<string, Map<number, PartitionOffsets>>> {
    return this.offsets(topics, FetchIsolationLevels.READ_UNCOMMITTED);
  }

  /**
   * Log start and end per partition, the end at the isolation level asked (the library sends it as given, unlike
   * kafkajs' admin). The ends first: the start offsets can only move up, never past them. Retried on a retriable
   * failure with fresh metadata; the last one is thrown through the table.
   */
  private async offsets(topics: readonly string[], isolationLevel: FetchIsolationLevelValue): Promise<Map<string, Map<number, PartitionOffsets>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const metadata = await this.admin.metadata({ topics: [...topics], forceUpdate: true });
        const request = (timestamp: bigint) =>
          this.admin.listOffsets({
            isolationLevel,
            topics: topics.map((name) => ({
              name,
              partitions: Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
            })),
          });
        const high = await request(ListOffsetTimestamps.LATEST);
        const low = await request(ListOffsetTimestamps.EARLIEST);
        const listed = (answer: typeof high) => (topic: string) => (answer.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.offset] as const);
        return pairOffsets(topics, listed(high), listed(low));
      } catch (err) {
        if (err instanceof AmpsealError) throw err;
        const failure = platformaticFailure(err);
        if (!failure.retriable || attempt >= ATTEMPTS) throw failure;
        await sleep(Math.min(200 * 2 ** (attempt - 1), 5_000));
      }
    }
  }

  async partitionLeaders(topic: string): Promise<Map<number, PartitionReplicas>> {
    const metadata = await mapped(this.admin.metadata({ topics: [topic], forceUpdate: true }));
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    return new Map(partitions.map((p, partition) => [partition, { leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }]));
  }

  async topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string>> {
    const [described] = await mapped(this.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [...names] }] }));
    return new Map((described?.configs ?? []).filter((c) => c.value !== null).map((c) => [c.name, c.value as string]));
  }

  async committed(groupId: string, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
    const [group] = await mapped(this.admin.listConsumerGroupOffsets({ groups: [groupId] }));
    const out = new Map<string, Map<number, bigint>>(topics.map((t) => [t, new Map<number, bigint>()]));
    for (const t of group?.topics ?? []) {
      const partitions = out.get(t.name);
      if (!partitions) continue;
      for (const p of t.partitions) if (p.committedOffset >= 0n) partitions.set(p.partitionIndex, p.committedOffset);
    }
    return out;
  }
}
