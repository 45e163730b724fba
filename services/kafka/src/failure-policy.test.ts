import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { AmpsealError } from '@ampseal/core';
import { classifyFailure, isGroupRebalance, kafkaFailure } from './failure-policy';

// The broker's answers as kafkajs 2.2 builds them (src/protocol/error.js): type, code and its retriable flag.
const protocol = (type: string, code: number, retriable: boolean) => new KafkaJSProtocolError({ type, code, retriable, message: `broker said ${type}` } as never);
// kafkajs 2.2 has no entry for PRODUCER_FENCED (90): it reports an unknown code, the number in the message only.
const unknownCode = (code: number) => new KafkaJSProtocolError({ type: 'KAFKAJS_UNKNOWN_ERROR_CODE', code: -99, retriable: false, message: `Unknown error code ${code}` } as never);

describe('the failure policy', () => {
  it('retries a retriable table error (a dependency down): fail closed, resume by itself', () => {
    const failure = classifyFailure(new AmpsealError('KEYRING_UNAVAILABLE'));
    expect([failure.action, failure.error.reason]).toEqual(['retry', 'keyring_unavailable']);
  });

  it.each([
    ['ENCODE_FAILED', 'encode_failed'],
    ['BAD_JSON', 'bad_json'],
    ['TENANT_KEY_REFUSED', 'tenant_key_refused'],
    ['BAD_REQUEST', 'bad_request'],
  ] as const)('quarantines one record (or answers one request) for %s: a per-record failure', (name, reason) => {
    const failure = classifyFailure(new AmpsealError(name));
    expect([failure.action, failure.error.reason]).toEqual(['quarantine', reason]);
  });

  it.each([
    ['KEY_INTEGRITY', 'key_integrity'],
    ['INTERNAL', 'internal'],
    ['PRODUCER_FENCED', 'producer_fenced'],
  ] as const)('stops the instance for %s: not per-record and not retriable', (name, reason) => {
    const failure = classifyFailure(new AmpsealError(name));
    expect([failure.action, failure.error.reason]).toEqual(['stop', reason]);
  });

  it('stops the instance for a throw outside the table, naming only its class (a message could quote a record)', () => {
    const failure = classifyFailure(new TypeError('cannot read "04A2B3C4"'));
    expect([failure.action, failure.error.code]).toEqual(['stop', 'AMPSEAL_ERR_INTERNAL']);
    expect(failure.error.message).not.toContain('04A2B3C4');
    expect(classifyFailure(undefined).error.code).toBe('AMPSEAL_ERR_INTERNAL');
  });

  it('sends kafkajs errors through the one mapping of the Kafka edge', () => {
    expect(classifyFailure(protocol('INVALID_PRODUCER_EPOCH', 47, false))).toMatchObject({ action: 'stop', error: { reason: 'producer_fenced' } });
    expect(classifyFailure(new KafkaJSConnectionError('connection refused'))).toMatchObject({ action: 'retry', error: { reason: 'broker_unavailable' } });
  });
});

describe('kafkajs errors in the table', () => {
  it.each([
    ['INVALID_PRODUCER_EPOCH', protocol('INVALID_PRODUCER_EPOCH', 47, false)],
    ['PRODUCER_FENCED, unknown to kafkajs', unknownCode(90)],
    ['a fence wrapped by a retry that gave up', new KafkaJSNumberOfRetriesExceeded(protocol('INVALID_PRODUCER_EPOCH', 47, false), { retryCount: 5, retryTime: 100 } as never)],
  ])('a fenced producer (%s) is PRODUCER_FENCED', (_, err) => {
    expect(kafkaFailure(err).code).toBe('AMPSEAL_ERR_PRODUCER_FENCED');
  });

  it.each([
    ['topic', protocol('TOPIC_AUTHORIZATION_FAILED', 29, false)],
    ['group', protocol('GROUP_AUTHORIZATION_FAILED', 30, false)],
    ['cluster', protocol('CLUSTER_AUTHORIZATION_FAILED', 31, false)],
    ['transactional id', protocol('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, false)],
  ])('a %s authorization failure is KAFKA_AUTHORIZATION', (_, err) => {
    expect(kafkaFailure(err).code).toBe('AMPSEAL_ERR_KAFKA_AUTHORIZATION');
  });

  it('a refused SASL login is AUTHENTICATION_FAILED, a set-up error that stops the process', () => {
    // kafkajs' type declares no constructor argument; its code takes the message as every error class does.
    const error = kafkaFailure(new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL SCRAM SHA512 authentication failed'));
    expect([error.code, error.retriable, error.stage]).toEqual(['AMPSEAL_ERR_AUTHENTICATION_FAILED', false, 'setup']);
    expect(classifyFailure(error).action).toBe('stop');
  });

  it('a broker certificate that does not verify is TLS_UNTRUSTED, even though kafkajs calls it a connection error', () => {
    const error = kafkaFailure(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' } as never), { retryCount: 0, retryTime: 300 } as never));
    expect([error.code, error.retriable]).toEqual(['AMPSEAL_ERR_TLS_UNTRUSTED', false]);
    expect(error.message).toContain('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it.each([
    ['a connection error', new KafkaJSConnectionError('Connection error: ECONNREFUSED')],
    ['a retriable broker answer', protocol('NOT_COORDINATOR', 16, true)],
    ['retries exhausted on a retriable answer', new KafkaJSNumberOfRetriesExceeded(protocol('LEADER_NOT_AVAILABLE', 5, true), { retryCount: 8, retryTime: 5_000 } as never)],
  ])('%s is BROKER_UNAVAILABLE (retriable)', (_, err) => {
    const error = kafkaFailure(err);
    expect([error.code, error.retriable]).toEqual(['AMPSEAL_ERR_BROKER_UNAVAILABLE', true]);
  });

  it('any other non-retriable kafkajs failure is STREAM_FAILED, with none of kafkajs text', () => {
    const error = kafkaFailure(new KafkaJSNonRetriableError('Transaction state exception: Invalid transition for topic t.secret'));
    expect([error.code, error.retriable, error.stage]).toEqual(['AMPSEAL_ERR_STREAM_FAILED', false, 'instance']);
    expect(error.message).not.toContain('t.secret');
    expect(kafkaFailure(unknownCode(77)).code).toBe('AMPSEAL_ERR_STREAM_FAILED');
  });

  it('tells a refused offset commit of a rebalancing group (at least once: kafkajs rejoins) from a failure of the instance', () => {
    expect(isGroupRebalance(protocol('REBALANCE_IN_PROGRESS', 27, true))).toBe(true);
    expect(isGroupRebalance(new KafkaJSNumberOfRetriesExceeded(protocol('ILLEGAL_GENERATION', 22, false), { retryCount: 5, retryTime: 1_000 }))).toBe(true);
    expect(isGroupRebalance(protocol('UNKNOWN_MEMBER_ID', 25, false))).toBe(true);
    expect(isGroupRebalance(protocol('NOT_COORDINATOR_FOR_GROUP', 16, true))).toBe(true);
    expect(isGroupRebalance(protocol('INVALID_PRODUCER_EPOCH', 47, false))).toBe(false);
    expect(isGroupRebalance(new AmpsealError('KEYRING_UNAVAILABLE'))).toBe(false);
  });
});
