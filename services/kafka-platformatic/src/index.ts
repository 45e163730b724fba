export { PlatformaticStream, type PlatformaticStreamOptions } from './transactional-stream';
export { baseOptions, verifyConnection, type PlatformaticConnection } from './client';
export { classifyFailure, platformaticFailure, isPlatformaticError, isGroupRebalance } from './failure-policy';
export { mapClientEvent, logClientEvents } from './log-mapper';
