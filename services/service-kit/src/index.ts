export { loadConfig, type AdminListener, type AdminOperator, type Config, type KafkaSection, type RequestsSection, type KeyRingSection, type OpsSection, type PseudonymizerSection, type ShredderSection, type Topics } from './config';
export { createLogger, REDACTED_PATHS, type Logger } from './logger';
export { Lifecycle, type Component } from '@ampseal/foundation';
export { OpsServer, closeServer, type Readiness } from './ops-server';
export { createMetrics, streamMetrics, subjectRequestMetrics, KEYRING_CHANNEL, SUBJECT_REQUEST_CHANNEL, type Metrics, type MetricsAdapter, type SubjectRequestEvent } from './metrics';
export { KeyRingComponent, openKeyRing, type KeyRingKind } from './keyring';
export { createStreamService, type StreamService, type StreamServiceContext, type StreamServiceParts, type StreamServiceSpec } from './stream-service';
export { runService } from './run-service';
export { connectKafka } from './kafka';
