import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka';
import { classifyFailure, isGroupRebalance } from './failure-policy';

/** A broker's answer as the library reports it: a ResponseError holding one ProtocolError per failing path. */
function answer(kafkaError: string): Error {
  return new ResponseError(0 /* Produce */, 9, { '/': [new ProtocolError(kafkaError).apiCode, null] }, {});
}

describe("@platformatic/kafka's errors map to the error table with the same actions as kafkajs'", () => {
  it.each([
    ['a newer producer of the transactional id (PRODUCER_FENCED)', answer('PRODUCER_FENCED'), 'stop', 'producer_fenced'],
    ['an old epoch (INVALID_PRODUCER_EPOCH), wrapped twice', new MultipleErrors('x', [answer('INVALID_PRODUCER_EPOCH')]), 'stop', 'producer_fenced'],
    ['a refused login', new AuthenticationError('x'), 'stop', 'authentication_failed'],
    ['a topic ACL refusal', answer('TOPIC_AUTHORIZATION_FAILED'), 'stop', 'kafka_authorization'],
    ['a transactional id ACL refusal', answer('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), 'stop', 'kafka_authorization'],
    ['a broker that did not answer', new NetworkError('x', { canRetry: true }), 'retry', 'broker_unavailable'],
    ['a request that timed out', new TimeoutError('x'), 'retry', 'broker_unavailable'],
    ['a leader that moved (retriable answer)', answer('NOT_LEADER_OR_FOLLOWER'), 'retry', 'broker_unavailable'],
    ['a rebalance (the member rejoins)', answer('REBALANCE_IN_PROGRESS'), 'retry', 'broker_unavailable'],
    ['a record too large (no retry cures it)', answer('MESSAGE_TOO_LARGE'), 'stop', 'stream_failed'],
    ['a misuse of the library', new UserError('x'), 'stop', 'stream_failed'],
  ])('%s', (_, err, action, reason) => {
    const failure = classifyFailure(err);
    expect({ action: failure.action, reason: failure.error.reason }).toEqual({ action, reason });
  });

  it('keeps no library text: the table message only, the library error as cause', () => {
    const err = new NetworkError('Connection to broker-7.internal:9092 failed.', { canRetry: true });
    const { error } = classifyFailure(err);
    expect(error.message).not.toContain('broker-7');
    expect(error.cause).toBe(err);
  });

  it('knows a group rebalance anywhere in the tree', () => {
    expect(isGroupRebalance(new MultipleErrors('x', [answer('ILLEGAL_GENERATION')]))).toBe(true);
    expect(isGroupRebalance(answer('NOT_LEADER_OR_FOLLOWER'))).toBe(false);
  });
});
