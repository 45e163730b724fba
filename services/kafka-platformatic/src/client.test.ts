import { ProtocolError, ResponseError } from '@platformatic/kafka';
import { retryDelay } from './client';

/** A broker's answer to AddPartitionsToTxn (api key 24) carrying one Kafka error, as the library wraps it. */
const refused = (kafkaError: string) => new ResponseError(24, 3, { '/': [new ProtocolError(kafkaError).apiCode, null] }, {});

describe('retryDelay: how long the library waits before trying a refused request again', () => {
  it('CONCURRENT_TRANSACTIONS (the previous commit still being written) is tried again after 20 ms, doubling to 500 ms', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => retryDelay(undefined, 'addPartitionsToTransaction', attempt, 8, refused('CONCURRENT_TRANSACTIONS')));
    expect(delays).toEqual([20, 40, 80, 160, 320, 500, 500, 500]);
    // The 8 tries still span about as long as 8 general pauses did.
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(8 * 250);
  });

  it('any other failure waits the general 250 ms', () => {
    expect(retryDelay(undefined, 'produce', 1, 8, refused('NOT_LEADER_OR_FOLLOWER'))).toBe(250);
    expect(retryDelay(undefined, 'metadata', 3, 8, new Error('socket hang up'))).toBe(250);
  });
});
