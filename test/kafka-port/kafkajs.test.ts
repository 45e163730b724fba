import { TransactionalStream } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { conformance } from './conformance';
import { recordConformance } from './record-conformance';

/** The port's conformance suites on the kafkajs adapter (@ampseal/kafka): the stream, then the record parts. */
const resources = useResources({ budgetMs: 360_000 });
conformance('kafkajs', resources, (spec) => new TransactionalStream({ ...spec, kafka: kafkaClient('conformance-kafkajs-stream') }));
describe('record parts', () => {
  recordConformance('kafkajs', resources, () => kafkaClient('conformance-kafkajs-records'));
});
