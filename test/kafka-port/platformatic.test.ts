import { silentLogger } from '@ampseal/foundation';
import { PlatformaticStream, createPlatformaticKafka } from '@ampseal/kafka-platformatic';
import { endpoints } from '../harness/endpoints';
import { useResources } from '../harness/resources';
import { conformance } from './conformance';
import { recordConformance } from './record-conformance';

/**
 * The port's conformance suites on the @platformatic/kafka adapter (@ampseal/kafka-platformatic): the stream, then
 * the record parts. The library is an ES module: jest loads it with Node's require(esm) only under
 * --experimental-vm-modules (the test script sets it).
 */
const resources = useResources({ budgetMs: 360_000 });
conformance('platformatic', resources, (spec) => new PlatformaticStream({ ...spec, connection: { brokers: endpoints().kafkaBrokers, clientId: 'conformance-platformatic', logger: spec.logger } }));
describe('record parts', () => {
  recordConformance('platformatic', resources, () => createPlatformaticKafka({ brokers: endpoints().kafkaBrokers, clientId: 'conformance-platformatic-records', logger: silentLogger }));
});
