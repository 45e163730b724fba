export { createShredder, requestRecord, type Shredder } from './service';
export { runShredder } from './main';
export { createRequestHandler } from './handler';
export { StatusIndex, type RequestStatus } from './status-index';
export { adminApi, authenticate, ADMIN_PREFIX, PLAN_PATH } from './admin-api';
export { AdminServer, ADMIN_LIMITS } from './admin-server';
export { assemblePlan, formatPlan, erasureState, type ClearCopyTopic, type PlanInput, type PlanReport } from './erasure-plan';
export { clearCopyTopics } from './clear-copies';
export { destroyExpiredEpochs, epochTenants, listEpochs, EpochSchedule, type EpochRow, type DestroyExpiredOptions } from './epochs';
