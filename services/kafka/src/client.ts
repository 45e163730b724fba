import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AmpsealError, TLS_UNTRUSTED_CODES } from '@ampseal/core';
import type { Logger } from '@ampseal/foundation';
import { kafkaFailure } from './failure-policy';
import { mapKafkaLog } from './log-mapper';
import { installAbortedTransactionFilter } from './aborted-transactions';
import { ignoreKafkajsNegativeTimeout } from './negative-timeout';
import { securityConfig, type KafkaSecurity } from './security';
import { KafkajsAdmin } from './kafkajs-admin';
import { readPartitionsKafkajs } from './kafkajs-reader';
import type { AdminPort, KafkaPort, PartitionReadSink, PartitionReadSpec, RecordConsumerPort, RecordConsumerSpec, RecordProducerPort, StreamPort, StreamSpec } from './port';
import { RecordProducer } from './producer';
import { adminOf, bindKafkajs } from './raw';
import { RecordConsumer } from './record-consumer';
import { TransactionalStream } from './transactional-stream';

ignoreKafkajsNegativeTimeout();
// kafkajs 2.2.4 delivers records of aborted transactions to read_committed readers (aborted-transactions.ts).
installAbortedTransactionFilter();

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** `warn` (default) passes kafkajs warnings and errors through the mapper; `none` drops them all (tests). */
  readonly logLevel?: 'warn' | 'none';
  /** TLS and SASL (validated by the caller's configuration); absent: plaintext, no authentication. */
  readonly security?: KafkaSecurity;
}

interface Closable {
  disconnect(): Promise<void>;
}

/**
 * The kafkajs adapter of the Kafka port: a connection to a Kafka cluster. Opaque on purpose: everything done with it
 * goes through the port (stream, consumer, producer, admin, partition reader) or this package's kafkajs-only tools
 * (a transactional RecordProducer for tests and loaders), so no kafkajs type reaches another workspace. `close()`
 * disconnects every admin, producer and consumer opened through it that is still connected.
 */
export class KafkaClient implements KafkaPort {
  readonly client = 'kafkajs' as const;
  private readonly open = new Set<Closable>();
  private readonly brokers: readonly string[];
  private readonly security: KafkaSecurity | undefined;

  constructor(options: KafkaClientOptions) {
    this.brokers = options.brokers;
    this.security = options.security;
    const logger = options.logger.child({ component: 'kafkajs' });
    bindKafkajs(
      this,
      new Kafka({
        clientId: options.clientId,
        brokers: [...options.brokers],
        logLevel: options.logLevel === 'none' ? logLevel.NOTHING : logLevel.WARN,
        // One mapper: structured fields only, a fixed message; kafkajs' own text and stacks never pass.
        logCreator: () => (entry: LogEntry) => {
          const fields = mapKafkaLog(entry);
          logger[fields.level]({ kafkajs: fields }, 'kafka client event');
        },
        retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
        ...securityConfig(options.security),
      }),
    );
  }

  /**
   * Checks, once at start, what waiting cannot fix: the brokers' certificate (TLS) and our credentials (SASL).
   * kafkajs counts a certificate that does not verify as a connection error and retries it for half a minute, so
   * the first broker that answers is asked directly, with the same TLS settings; then one admin connection logs
   * in. Throws TLS_UNTRUSTED or AUTHENTICATION_FAILED (set-up errors: the process stops with the code), or
   * BROKER_UNAVAILABLE when no broker answered within the client's retries.
   */
  async verify(): Promise<void> {
    const tls = this.security?.tls;
    if (tls) await verifyCertificate(this.brokers, tls);
    const admin = adminOf(this);
    try {
      await admin.connect();
      // A request after the login: an OAUTHBEARER refusal comes back as an error challenge that kafkajs takes for
      // success, and only the next request on the connection shows it (metadata needs no ACL of its own).
      await admin.describeCluster();
    } catch (err) {
      throw kafkaFailure(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  stream(spec: StreamSpec): StreamPort {
    return new TransactionalStream({ ...spec, kafka: this });
  }

  consumer(spec: RecordConsumerSpec): RecordConsumerPort {
    return new RecordConsumer({ ...spec, kafka: this });
  }

  producer(options: { readonly idempotent?: boolean } = {}): RecordProducerPort {
    return new RecordProducer(this, options);
  }

  admin(): AdminPort {
    return new KafkajsAdmin(this);
  }

  readPartitions(spec: PartitionReadSpec, sink: PartitionReadSink): Promise<{ stop(): Promise<void> }> {
    return readPartitionsKafkajs(this, spec, sink);
  }

  /** Disconnects whatever is still open (idempotent). */
  async close(): Promise<void> {
    const open = [...this.open];
    this.open.clear();
    await Promise.all(open.map((c) => c.disconnect().catch(() => undefined)));
  }

  /** @internal Registers a connection so close() reaches it; disconnect() unregisters it. */
  track<T extends Closable>(closable: T): T {
    const disconnect = closable.disconnect.bind(closable);
    this.open.add(closable);
    closable.disconnect = async () => {
      this.open.delete(closable);
      await disconnect();
    };
    return closable;
  }
}

/** As kafkajs does: an IP address is not a TLS server name (RFC 6066); Node checks it against the IP SANs. */
function serverName(host: string): { servername?: string } {
  return isIP(host) === 0 ? { servername: host } : {};
}

const VERIFY_TIMEOUT_MS = 5_000;

/** A TLS handshake with each broker in turn until one completes; a certificate failure ends the check at once. */
async function verifyCertificate(brokers: readonly string[], tls: NonNullable<KafkaSecurity['tls']>): Promise<void> {
  for (const broker of brokers) {
    const at = broker.lastIndexOf(':');
    const host = broker.slice(0, at);
    const outcome = await new Promise<string | undefined>((resolve) => {
      const socket = tlsConnect({ host, port: Number(broker.slice(at + 1)), ...serverName(host), ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true });
      const done = (code: string | undefined) => {
        socket.destroy();
        resolve(code);
      };
      socket.setTimeout(VERIFY_TIMEOUT_MS, () => done('ETIMEDOUT'));
      socket.once('secureConnect', () => done(undefined));
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'ERROR'));
    });
    if (outcome === undefined) return;
    if (TLS_UNTRUSTED_CODES.has(outcome)) throw new AmpsealError('TLS_UNTRUSTED', `Kafka (${outcome})`);
    // Down or unreachable: the next broker, then the client's own retries decide.
  }
}

export function createKafka(options: KafkaClientOptions): KafkaClient {
  return new KafkaClient(options);
}
