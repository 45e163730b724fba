import { RecordProducer, readToEnd } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { createTopics } from '../harness/kafka';
import { uniqueName, useResources } from '../harness/resources';

const resources = useResources();

describe('Kafka (KRaft, transactions on one broker)', () => {
  it('shows a read_committed reader the committed transactions and never the aborted one, and reads past the markers to the end', async () => {
    const kafka = kafkaClient(uniqueName('smoke'));
    const topic = uniqueName('smoke.tx');
    await createTopics(kafka, resources, [{ topic }]);

    const producer = resources.add('producer', new RecordProducer(kafka, { transactionalId: uniqueName('smoke-tx') }), (p) => p.stop());
    await producer.start();
    const send = (values: string[], outcome: 'commit' | 'abort') =>
      producer.transaction(values.map((value) => ({ topic, key: 'CP-1', value })), outcome);
    await send(['committed-1', 'committed-2'], 'commit');
    await send(['aborted-1'], 'abort');
    await send(['committed-3'], 'commit');

    const { records, partitions } = await readToEnd(kafka, [topic], { deadlineMs: 30_000 });
    expect(records.map((r) => r.value!.toString())).toEqual(['committed-1', 'committed-2', 'committed-3']);
    // Seven offsets (four records, three markers); three records delivered, and the read still reached the end.
    expect(partitions).toEqual([{ topic, partition: 0, end: 7n, records: 3 }]);
  });
});
