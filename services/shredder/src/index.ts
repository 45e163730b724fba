export { createShredder, type Shredder } from './service';
export { runShredder } from './main';
export { createRequestHandler } from './handler';
export { StatusIndex, type RequestStatus } from './status-index';
export { adminApi, authorized, ADMIN_PREFIX } from './admin-api';
