import { TopicAdmin, type KafkaPort } from '@ampseal/kafka';
import type { Topics } from '@ampseal/service-kit';
import type { ClearCopyTopic } from './erasure-plan';

/**
 * The topics that can hold identifiers in clear, as the broker describes them (keyring SPEC K43): what the erasure
 * plan lists. One definition for the CLI's `ampseal erasure plan` and the console's plan step.
 */
export async function clearCopyTopics(topics: Topics, kafka: KafkaPort): Promise<ClearCopyTopic[]> {
  const wanted: Array<[string, ClearCopyTopic['role']]> = [
    [topics.ocppRaw, 'raw'],
    [topics.ocpiRaw, 'raw'],
    [topics.quarantine, 'quarantine'],
    [topics.erasureRequests, 'requests'],
  ];
  const admin = new TopicAdmin(kafka);
  try {
    const listed = new Set(await admin.list());
    return await Promise.all(
      wanted.map(async ([topic, role]) => {
        if (!listed.has(topic)) return { topic, role, exists: false, retentionMs: null, segmentMs: null, holdsRecords: false };
        const [settings, offsets] = await Promise.all([admin.topicConfig(topic, ['retention.ms', 'segment.ms']), admin.offsets(topic)]);
        const number = (name: string) => (settings.has(name) ? Number(settings.get(name)) : null);
        return {
          topic,
          role,
          exists: true,
          retentionMs: number('retention.ms'),
          segmentMs: number('segment.ms'),
          holdsRecords: [...offsets.values()].some((o) => o.high > o.low),
        };
      }),
    );
  } finally {
    await admin.stop();
  }
}
