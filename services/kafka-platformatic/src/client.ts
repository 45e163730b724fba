import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Admin, AuthenticationError, type BaseOptions, type Consumer, type MessagesStream, type SASLOptions } from '@platformatic/kafka';
import type { Logger } from '@ampseal/foundation';
import { mskIamToken, type KafkaSecurity, type KafkaSasl } from '@ampseal/kafka';
import { hasKafkaError, platformaticFailure } from './failure-policy';
import { installAbortedTransactionFilter } from './aborted-transactions';

installAbortedTransactionFilter();

/** How this adapter reaches the brokers: the same settings the kafkajs adapter's client takes. */
export interface PlatformaticConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** TLS and SASL, validated by the caller's configuration; absent: plaintext, no authentication. */
  readonly security?: KafkaSecurity;
}

const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 10_000;

/** As the kafkajs adapter does: the token file is re-read at every login; the command's output is the secret, never quoted. */
async function oauthToken(sasl: Extract<KafkaSasl, { mechanism: 'oauthbearer' }>): Promise<string> {
  let token: string;
  try {
    if (sasl.tokenFile !== undefined) token = (await readFile(sasl.tokenFile, 'utf8')).trim();
    else token = (await run('/bin/sh', ['-c', sasl.tokenCommand], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 })).stdout.trim();
  } catch (err) {
    throw new AuthenticationError(`SASL OAUTHBEARER: token ${sasl.tokenFile !== undefined ? 'file could not be read' : 'command failed'} (${(err as Error | undefined)?.name ?? 'error'})`);
  }
  if (token === '') throw new AuthenticationError('SASL OAUTHBEARER: the token is empty');
  return token;
}

function sasl(sasl: KafkaSasl): SASLOptions {
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'PLAIN', username: sasl.username, password: sasl.password };
    case 'scram-sha-256':
      return { mechanism: 'SCRAM-SHA-256', username: sasl.username, password: sasl.password };
    case 'scram-sha-512':
      return { mechanism: 'SCRAM-SHA-512', username: sasl.username, password: sasl.password };
    case 'oauthbearer':
      return { mechanism: 'OAUTHBEARER', token: () => oauthToken(sasl) };
    case 'aws-msk-iam':
      return { mechanism: 'OAUTHBEARER', token: () => mskIamToken(sasl.region) };
  }
}

/** The library's pause before another try of a failed request (a network error, a leader moving…). */
const RETRY_DELAY_MS = 250;
/** The first pause before another AddPartitionsToTxn refused with CONCURRENT_TRANSACTIONS, doubling up to the cap. */
const CONCURRENT_TRANSACTIONS_DELAY_MS = 20;
const CONCURRENT_TRANSACTIONS_CAP_MS = 500;

/**
 * How long the library waits before trying a failed request again. A transactional producer's first
 * AddPartitionsToTxn after a commit is refused with CONCURRENT_TRANSACTIONS until the coordinator has written the
 * previous transaction's markers, a few milliseconds later; the Java client retries that one after 20 ms for this
 * reason (KAFKA-5477). Waiting the general 250 ms instead cost a back-to-back transactional producer most of its time
 * (measured on the local broker: 143 ms per transaction of 1,000 records, against 24.5 ms with these pauses). It
 * doubles, so the library's 8 tries still span about 2 s (as 8 × 250 ms did) for a coordinator slow to finish.
 */
export function retryDelay(_client: unknown, _operation: string, attempt: number, _retries: number, error: Error): number {
  if (!hasKafkaError(error, 'CONCURRENT_TRANSACTIONS')) return RETRY_DELAY_MS;
  return Math.min(CONCURRENT_TRANSACTIONS_DELAY_MS * 2 ** Math.max(0, attempt - 1), CONCURRENT_TRANSACTIONS_CAP_MS);
}

/**
 * The library's client options for a connection: retries bounded like the kafkajs adapter's client (a broker down
 * surfaces as BROKER_UNAVAILABLE and the stream's own backoff takes over). TLS verifies the brokers' names (Node's
 * default; the library passes the host as server name).
 */
export function baseOptions(connection: PlatformaticConnection, clientIdSuffix?: string): BaseOptions {
  const tls = connection.security?.tls;
  return {
    clientId: clientIdSuffix ? `${connection.clientId}-${clientIdSuffix}` : connection.clientId,
    bootstrapBrokers: [...connection.brokers],
    retries: 8,
    retryDelay,
    // Also the transaction timeout the library asks for in InitProducerId: the kafkajs adapter's 30 s.
    timeout: 30_000,
    // SNI and name checks against the broker's host name, as kafkajs connects (an IP address is no server name: RFC 6066).
    ...(tls ? { tlsServerName: connection.brokers.every((b) => isIP(b.slice(0, b.lastIndexOf(':'))) === 0), tls: { rejectUnauthorized: true, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) } } : {}),
    ...(connection.security?.sasl ? { sasl: sasl(connection.security.sasl) } : {}),
  };
}

/**
 * One login and one metadata request with this adapter's own settings: what the kafkajs client's `verify()` checks
 * at start, for this client. Throws the table's entry (AUTHENTICATION_FAILED, TLS_UNTRUSTED, BROKER_UNAVAILABLE…).
 */
export async function verifyConnection(connection: PlatformaticConnection): Promise<void> {
  const admin = new Admin({ ...baseOptions(connection, 'verify'), retries: 2 });
  try {
    await admin.metadata({ topics: [] });
  } catch (err) {
    throw platformaticFailure(err);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Ends a consumer's stream, then the consumer (leaving its group), quietly: what a stop or a rebuild does. */
export async function closeConsumer(consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined, messages: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined): Promise<void> {
  await messages?.close().catch(() => undefined);
  await consumer?.close().catch(() => undefined);
}
