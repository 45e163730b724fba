export { createShredder, requestRecord, type Shredder } from './service';
export { runShredder } from './main';
export { createRequestHandler } from './handler';
export { StatusIndex, type RequestStatus } from './status-index';
export { adminApi, authenticate, ADMIN_PREFIX } from './admin-api';
export { AdminServer, ADMIN_LIMITS } from './admin-server';
export { destroyExpiredEpochs, EpochSchedule, type EpochReceipt, type DestroyExpiredOptions } from './epochs';
