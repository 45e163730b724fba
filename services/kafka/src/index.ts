export { KafkaClient, createKafka, type KafkaClientOptions } from './client';
export { classifyFailure, policyOf, kafkaFailure, type Failure, type FailureAction } from './failure-policy';
export { mapKafkaLog, type KafkaLogFields } from './log-mapper';
export { TransactionalStream, STREAM_CHANNEL, causeNames, type ChunkClose, type ConsumedRecord, type Delivery, type OutputRecord, type StreamEvent, type StreamHandler, type TransactionalStreamOptions } from './transactional-stream';
export { RecordProducer, type PartitionedRecord, type RecordProducerOptions, type Written } from './producer';
export { RecordConsumer, type ReadRecord, type RecordConsumerOptions } from './record-consumer';
export { highWatermarks } from './high-watermark';
export { readToEnd, type PartitionRead, type ReadToEndOptions, type ReadToEndResult } from './reader';
export { TopicAdmin, ensureTopics, BROKER_DEFAULT_REPLICATION, type PartitionReplicas, type TopicReplication, type TopicSpec } from './topics';
export { TopicDirectory, type TopicDirectoryOptions } from './topic-directory';
export { avroEncoderFor, createAvroEncoder, registerSchema, subjectFor, decodeWire, createRegistryClient, type AvroEncoder, type RegistryClient, type RegistryConnection } from './registry';
export { type KafkaSecurity, type KafkaSasl, type KafkaTls } from './security';
export { mskIamToken } from './msk-iam';
export { ignoreKafkajsNegativeTimeout } from './negative-timeout';
export {
  KAFKA_CLIENTS,
  type AdminPort,
  type KafkaClientName,
  type KafkaPort,
  type PartitionOffsets,
  type PartitionReadSink,
  type PartitionReadSpec,
  type RecordConsumerPort,
  type RecordConsumerSpec,
  type RecordProducerPort,
  type StreamPort,
  type StreamSpec,
} from './port';
// Client-neutral rules a second adapter of the port shares (one definition each).
export { ChunkBudget } from './chunk-budget';
export { pairOffsets } from './offsets';
export { produceRequests, MAX_PRODUCE_REQUEST_BYTES } from './produce-requests';
