import { TransactionalStream } from '@ampseal/kafka';
import { kafkaClient } from '../harness/clients';
import { useResources } from '../harness/resources';
import { conformance } from './conformance';

/** The port's conformance suite on the kafkajs adapter (@ampseal/kafka). */
const resources = useResources({ budgetMs: 240_000 });
conformance('kafkajs', resources, (spec) => new TransactionalStream({ ...spec, kafka: kafkaClient('conformance-kafkajs-stream') }));
