import { loadConfig } from './config';

describe('configuration is read once and validated', () => {
  it('falls back to the local stack endpoints and freezes the result', () => {
    const config = loadConfig({});
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.kmsEndpoint).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps tombstones and retired tokens for raw retention + maximum backup age, and bounds the co-occurrence index (keyring SPEC K39, K41)', () => {
    const DAY = 86_400_000;
    expect(loadConfig({})).toMatchObject({ rawRetentionMs: 7 * DAY, maxBackupAgeMs: 35 * DAY, tombstoneLifetimeMs: 42 * DAY, cooccurrenceTtlMs: 90 * DAY, cooccurrenceMaxLinks: 32 });
    expect(loadConfig({ AMPSEAL_RAW_RETENTION_DAYS: '3', AMPSEAL_MAX_BACKUP_AGE_DAYS: '0' }).tombstoneLifetimeMs).toBe(3 * DAY);
    expect(() => loadConfig({ AMPSEAL_RAW_RETENTION_DAYS: '0' })).toThrow(/AMPSEAL_RAW_RETENTION_DAYS must be a whole number from 1 to 3650/);
    expect(() => loadConfig({ AMPSEAL_COOCCURRENCE_MAX_LINKS: 'many' })).toThrow(/AMPSEAL_COOCCURRENCE_MAX_LINKS/);
  });

  it('sends roaming to one topic per recipient and reads the allow-list by the core issuer rule', () => {
    expect(loadConfig({}).topics.roamingTemplate).toBe('ocpi.roaming.{recipient}.v1');
    expect(loadConfig({}).roamingRecipients).toEqual([]);
    const config = loadConfig({ AMPSEAL_TOPIC_ROAMING: 'emsp.{recipient}.cdrs.v2', AMPSEAL_ROAMING_RECIPIENTS: 'nl-tnm, DE-8AA,NL-TNM' });
    expect(config.topics.roamingTemplate).toBe('emsp.{recipient}.cdrs.v2');
    expect(config.roamingRecipients).toEqual(['NL-TNM', 'DE-8AA']);
  });

  it('replicates created topics once on the single-node stack and as told on a cluster', () => {
    expect(loadConfig({}).topicReplication).toEqual({ factor: 1, minInsyncReplicas: 1 });
    const cluster = loadConfig({ AMPSEAL_TOPIC_REPLICATION_FACTOR: '3', AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS: '2' });
    expect(cluster.topicReplication).toEqual({ factor: 3, minInsyncReplicas: 2 });
  });

  it('stops when more in-sync replicas are required than a topic has (every transactional write would fail)', () => {
    expect(() => loadConfig({ AMPSEAL_TOPIC_REPLICATION_FACTOR: '1', AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      /AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS must be at most AMPSEAL_TOPIC_REPLICATION_FACTOR \(1\)/,
    );
  });

  it('closes a transaction on a record count and a handling budget, and delivers exactly once unless told at least once', () => {
    expect(loadConfig({})).toMatchObject({ maxRecordsPerTransaction: 2_000, maxTransactionMs: 1_000, delivery: 'exactly-once' });
    expect(loadConfig({ AMPSEAL_MAX_TRANSACTION_MS: '20', AMPSEAL_DELIVERY: 'at-least-once' })).toMatchObject({ maxTransactionMs: 20, delivery: 'at-least-once' });
    expect(loadConfig({ AMPSEAL_DELIVERY: ' At-Least-Once ' }).delivery).toBe('at-least-once');
    expect(loadConfig({ AMPSEAL_DELIVERY: '' }).delivery).toBe('exactly-once');
  });

  it('runs the handler in-thread one partition at a time unless given threads, which handle one partition more than there are threads', () => {
    expect(loadConfig({})).toMatchObject({ handlerThreads: 0, partitionsConcurrently: 1 });
    expect(loadConfig({ AMPSEAL_HANDLER_THREADS: '1' })).toMatchObject({ handlerThreads: 1, partitionsConcurrently: 2 });
    expect(loadConfig({ AMPSEAL_HANDLER_THREADS: '2', AMPSEAL_PARTITIONS_CONCURRENTLY: '6' })).toMatchObject({ handlerThreads: 2, partitionsConcurrently: 6 });
  });

  it('runs the stream on kafkajs unless AMPSEAL_KAFKA_CLIENT names the platformatic adapter', () => {
    expect(loadConfig({}).kafkaClient).toBe('kafkajs');
    expect(loadConfig({ AMPSEAL_KAFKA_CLIENT: ' Platformatic ' }).kafkaClient).toBe('platformatic');
    expect(loadConfig({ AMPSEAL_KAFKA_CLIENT: '' }).kafkaClient).toBe('kafkajs');
  });

  it('handles one partition at a time on the platformatic adapter, threads or not, and refuses more', () => {
    expect(loadConfig({ AMPSEAL_KAFKA_CLIENT: 'platformatic', AMPSEAL_HANDLER_THREADS: '1' })).toMatchObject({ handlerThreads: 1, partitionsConcurrently: 1 });
    expect(() => loadConfig({ AMPSEAL_KAFKA_CLIENT: 'platformatic', AMPSEAL_HANDLER_THREADS: '1', AMPSEAL_PARTITIONS_CONCURRENTLY: '2' })).toThrow(
      /AMPSEAL_PARTITIONS_CONCURRENTLY must be 1 with AMPSEAL_KAFKA_CLIENT=platformatic/,
    );
  });

  it.each([
    ['AMPSEAL_HANDLER_THREADS', '-1', /AMPSEAL_HANDLER_THREADS must be a whole number from 0 to 16/],
    ['AMPSEAL_HANDLER_THREADS', '17', /AMPSEAL_HANDLER_THREADS must be a whole number from 0 to 16/],
    ['AMPSEAL_PARTITIONS_CONCURRENTLY', '0', /AMPSEAL_PARTITIONS_CONCURRENTLY must be a whole number from 1 to 64/],
    ['AMPSEAL_PARTITIONS_CONCURRENTLY', '2', /AMPSEAL_PARTITIONS_CONCURRENTLY must be 1 unless AMPSEAL_HANDLER_THREADS is 1 or more/],
    ['AMPSEAL_MAX_TRANSACTION_MS', '0', /AMPSEAL_MAX_TRANSACTION_MS must be a whole number from 1 to 10000/],
    ['AMPSEAL_MAX_TRANSACTION_MS', '10001', /AMPSEAL_MAX_TRANSACTION_MS must be a whole number from 1 to 10000/],
    ['AMPSEAL_MAX_TRANSACTION_MS', '2.5', /AMPSEAL_MAX_TRANSACTION_MS must be a whole number/],
    ['AMPSEAL_DELIVERY', 'at-most-once', /AMPSEAL_DELIVERY must be exactly-once or at-least-once/],
    ['AMPSEAL_DELIVERY', 'exactly_once', /AMPSEAL_DELIVERY must be exactly-once or at-least-once/],
    ['AMPSEAL_KAFKA_CLIENT', 'rdkafka', /AMPSEAL_KAFKA_CLIENT must be kafkajs or platformatic/],
    ['AMPSEAL_TOPIC_REPLICATION_FACTOR', '0', /AMPSEAL_TOPIC_REPLICATION_FACTOR must be a whole number from 1 to 32/],
    ['AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS', 'two', /AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS must be a whole number/],
    ['AMPSEAL_KAFKA_BROKERS', 'kafka', /AMPSEAL_KAFKA_BROKERS must be a comma-separated list of host:port/],
    ['AMPSEAL_REDIS_URL', 'http://x', /AMPSEAL_REDIS_URL must be a URL with scheme redis or rediss/],
    ['AMPSEAL_KEY_CACHE_SIZE', 'lots', /AMPSEAL_KEY_CACHE_SIZE must be a whole number/],
    ['AMPSEAL_LOG_LEVEL', 'loud', /AMPSEAL_LOG_LEVEL must be one of/],
    ['AMPSEAL_KMS_REGION', 'europe', /AMPSEAL_KMS_REGION must be an AWS region/],
    ['AMPSEAL_KMS_ENDPOINT', 'not a url', /AMPSEAL_KMS_ENDPOINT must be a URL/],
    ['AMPSEAL_TOPIC_ROAMING', 'ocpi.roaming.v1', /AMPSEAL_TOPIC_ROAMING must be a Kafka topic name holding \{recipient\} once/],
    ['AMPSEAL_TOPIC_ROAMING', 'ocpi.{recipient}.{recipient}.v1', /AMPSEAL_TOPIC_ROAMING must be/],
    ['AMPSEAL_TOPIC_ROAMING', 'ocpi roaming.{recipient}', /AMPSEAL_TOPIC_ROAMING must be/],
    ['AMPSEAL_TOPIC_ROAMING', `${'x'.repeat(243)}.{recipient}`, /AMPSEAL_TOPIC_ROAMING must be/],
    ['AMPSEAL_ROAMING_RECIPIENTS', 'NL-TNM,N--L', /AMPSEAL_ROAMING_RECIPIENTS must be a comma-separated list of OCPI parties/],
    ['AMPSEAL_ROAMING_RECIPIENTS', 'NL-TN', /AMPSEAL_ROAMING_RECIPIENTS must be/],
  ])('stops on a bad %s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
    expect(() => loadConfig({ [name]: value })).toThrow(expect.objectContaining({ code: 'AMPSEAL_ERR_CONFIG_INVALID' }));
  });
});
