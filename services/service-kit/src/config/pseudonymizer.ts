import { parseRecipient } from '@ampseal/core';
import type { KafkaClientName } from '@ampseal/kafka';
import { integer, invalid, type Env } from './read';

/** The pseudonymizer's own: input size bound, policy, audiences, the roaming allow-list. */
export interface PseudonymizerSection {
  readonly maxRecordBytes: number;
  readonly policyFile: string | undefined;
  readonly audiences: readonly ('analytics' | 'roaming')[];
  /** Token issuers (`NL-TNM`, upper case) allowed to receive roaming output; empty: any well-formed issuer. */
  readonly roamingRecipients: readonly string[];
  /** How far a payload time may run ahead of receivedAt before the record is quarantined (event_time_ahead). */
  readonly maxClockSkewMs: number;
  /**
   * Worker threads that run the record handler (parse, validation, transform, key ring, Avro); 0: on the consumer's
   * own thread. Each thread has its own key ring (Redis and KMS clients, key cache).
   */
  readonly handlerThreads: number;
  /** Partitions handled at once (kafkajs partitionsConsumedConcurrently); 1 with the handler in-thread. */
  readonly partitionsConcurrently: number;
}

export function readPseudonymizerSection(env: Env, kafkaClient: KafkaClientName): PseudonymizerSection {
  return {
    maxRecordBytes: integer(env, 'AMPSEAL_MAX_RECORD_BYTES', 262_144, 1_024, 16_777_216),
    policyFile: env.AMPSEAL_POLICY_FILE?.trim() || undefined,
    audiences: audiences(env),
    roamingRecipients: recipients(env),
    // Station clocks without NTP drift by minutes; beyond a day it is a wrong clock, not drift (keyring SPEC K17).
    maxClockSkewMs: integer(env, 'AMPSEAL_MAX_CLOCK_SKEW_MS', 300_000, 0, 86_400_000),
    ...threads(env, kafkaClient),
  };
}

/**
 * The handler's threads and the partitions in hand at once. In-thread, partitions stay one at a time: the handler
 * and kafkajs share one core, so a second partition only waits for it. With threads, the default keeps every
 * thread busy and one partition more in Kafka I/O (fetching, committing) on the consumer's thread.
 */
function threads(env: Env, kafkaClient: KafkaClientName): Pick<PseudonymizerSection, 'handlerThreads' | 'partitionsConcurrently'> {
  const handlerThreads = integer(env, 'AMPSEAL_HANDLER_THREADS', 0, 0, 16);
  // The platformatic adapter handles one partition at a time (port.ts StreamSpec): its default is 1 whatever the threads.
  const byDefault = handlerThreads === 0 || kafkaClient === 'platformatic' ? 1 : handlerThreads + 1;
  const partitionsConcurrently = integer(env, 'AMPSEAL_PARTITIONS_CONCURRENTLY', byDefault, 1, 64);
  // The in-thread handler (its transform and key ring) is built for one caller at a time; a thread queues its chunks.
  if (handlerThreads === 0 && partitionsConcurrently > 1) invalid('AMPSEAL_PARTITIONS_CONCURRENTLY', '1 unless AMPSEAL_HANDLER_THREADS is 1 or more');
  if (kafkaClient === 'platformatic' && partitionsConcurrently > 1) invalid('AMPSEAL_PARTITIONS_CONCURRENTLY', '1 with AMPSEAL_KAFKA_CLIENT=platformatic (that adapter handles one partition at a time)');
  return { handlerThreads, partitionsConcurrently };
}

/** The allow-list, by the core's issuer rule: the same form the transform routes by. */
function recipients(env: Env): readonly string[] {
  const list = (env.AMPSEAL_ROAMING_RECIPIENTS?.trim() || '').split(',').map((r) => r.trim()).filter(Boolean);
  const parsed = list.map(parseRecipient);
  if (parsed.some((r) => r === undefined)) {
    invalid('AMPSEAL_ROAMING_RECIPIENTS', 'a comma-separated list of OCPI parties CC-PID (2 letters, 3 letters or digits), such as NL-TNM,DE-ABC');
  }
  return Object.freeze([...new Set(parsed as string[])]);
}

function audiences(env: Env): readonly ('analytics' | 'roaming')[] {
  const list = (env.AMPSEAL_AUDIENCES?.trim() || 'analytics,roaming').split(',').map((a) => a.trim());
  if (list.length === 0 || list.some((a) => a !== 'analytics' && a !== 'roaming')) {
    invalid('AMPSEAL_AUDIENCES', 'a comma-separated list of analytics, roaming');
  }
  return Object.freeze([...new Set(list)] as ('analytics' | 'roaming')[]);
}
