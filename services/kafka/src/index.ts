export { createKafka } from './client';
export { TransactionalStream, STREAM_CHANNEL, type ConsumedRecord, type OutputRecord, type StreamEvent, type StreamHandler, type TransactionalStreamOptions } from './transactional-stream';
export { RecordProducer } from './producer';
export { ensureTopics, type TopicSpec } from './topics';
export { TopicDirectory, type TopicDirectoryOptions } from './topic-directory';
export { createAvroEncoder, registerSchema, subjectFor, decodeWire, type AvroEncoder } from './registry';
export type { Kafka } from 'kafkajs';
export { RecordConsumer, scanTopic } from './record-consumer';
