export { PlatformaticKafka, createPlatformaticKafka } from './kafka';
export { PlatformaticStream, type PlatformaticStreamOptions } from './transactional-stream';
export { PlatformaticAdmin } from './admin';
export { PlatformaticRecordConsumer } from './record-consumer';
export { PlatformaticRecordProducer } from './producer';
export { baseOptions, verifyConnection, type PlatformaticConnection } from './client';
export { classifyFailure, platformaticFailure, isPlatformaticError, isGroupRebalance } from './failure-policy';
export { mapClientEvent, logClientEvents } from './log-mapper';
