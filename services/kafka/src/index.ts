export { KafkaClient, createKafka, type KafkaClientOptions } from './client';
export { mapKafkaLog, type KafkaLogFields } from './log-mapper';
export { TransactionalStream, STREAM_CHANNEL, type ConsumedRecord, type OutputRecord, type StreamEvent, type StreamHandler, type TransactionalStreamOptions } from './transactional-stream';
export { RecordProducer, type PartitionedRecord, type RecordProducerOptions, type Written } from './producer';
export { RecordConsumer, type ReadRecord, type RecordConsumerOptions } from './record-consumer';
export { readToEnd, type PartitionRead, type ReadToEndOptions, type ReadToEndResult } from './reader';
export { TopicAdmin, ensureTopics, type TopicSpec } from './topics';
export { TopicDirectory, type TopicDirectoryOptions } from './topic-directory';
export { createAvroEncoder, registerSchema, subjectFor, decodeWire, createRegistryClient, type AvroEncoder, type RegistryClient } from './registry';
