import { PlatformaticStream } from '@ampseal/kafka-platformatic';
import { endpoints } from '../harness/endpoints';
import { useResources } from '../harness/resources';
import { conformance } from './conformance';

/**
 * The port's conformance suite on the @platformatic/kafka adapter (@ampseal/kafka-platformatic). The library is an
 * ES module: jest loads it with Node's require(esm) only under --experimental-vm-modules (the test script sets it).
 */
const resources = useResources({ budgetMs: 240_000 });
conformance('platformatic', resources, (spec) => new PlatformaticStream({ ...spec, connection: { brokers: endpoints().kafkaBrokers, clientId: 'conformance-platformatic', logger: spec.logger } }));
