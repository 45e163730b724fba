export { loadConfig, type Config } from './config';
export { createLogger, REDACTED_PATHS, type Logger } from './logger';
export { Lifecycle, type Component } from '@ampseal/foundation';
export { OpsServer, type Readiness } from './ops-server';
export { createMetrics, KEYRING_CHANNEL, type Metrics } from './metrics';
export { openKeyRing, type KeyRingKind } from './keyring';
export type { Topics } from './config';
export { runService } from './run-service';
