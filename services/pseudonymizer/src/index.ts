export { createPseudonymizer, type Pseudonymizer } from './service';
export { runPseudonymizer } from './main';
export { createRecordHandler, PIPELINE_CHANNEL, type PipelineEvent } from './handler';
export { EVICTION_CHANNEL, type EvictionEvent } from './evictions';
export { HandlerThreads, type HandlerThreadsOptions } from './threads/handler-threads';
