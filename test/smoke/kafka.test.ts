import type { Consumer, Producer } from 'kafkajs';
import { kafkaClient } from '../harness/clients';
import { uniqueName, useResources } from '../harness/resources';

const resources = useResources();

describe('Kafka (KRaft, transactions on one broker)', () => {
  it('shows a read_committed consumer the committed transactions and never the aborted one', async () => {
    const kafka = kafkaClient(uniqueName('smoke'));
    const topic = uniqueName('smoke.tx');
    const admin = resources.add('admin', kafka.admin(), (a) => a.disconnect());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    resources.add('topic', topic, (t) => admin.deleteTopics({ topics: [t] }));

    const producer: Producer = kafka.producer({
      transactionalId: uniqueName('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    resources.add('producer', producer, (p) => p.disconnect());
    await producer.connect();

    const send = async (values: string[], outcome: 'commit' | 'abort') => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: values.map((value) => ({ key: 'CP-1', value })) });
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    };
    await send(['committed-1', 'committed-2'], 'commit');
    await send(['aborted-1'], 'abort');
    await send(['committed-3'], 'commit');

    const consumer: Consumer = kafka.consumer({ groupId: uniqueName('smoke-group'), readUncommitted: false });
    resources.add('consumer', consumer, (c) => c.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.includes('committed-3')) resolve();
          },
        })
        .catch(reject);
    });
    expect(seen).toEqual(['committed-1', 'committed-2', 'committed-3']);
  });
});
