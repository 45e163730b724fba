import { mapKafkaLog } from './log-mapper';

describe('kafkajs log entries pass through one mapper', () => {
  it('keeps namespace, level, error name/type/code, broker and counts, and drops message text and stack', () => {
    const fields = mapKafkaLog({
      namespace: 'Connection',
      level: 1,
      log: {
        message: 'Response Produce(key: 0) for DE8AA123A45B678',
        broker: '127.0.0.1:9092',
        error: 'The coordinator is loading DE8AA123A45B678',
        type: 'COORDINATOR_LOAD_IN_PROGRESS',
        code: 14,
        retriable: true,
        stack: 'KafkaJSProtocolError: at DE8AA123A45B678',
        topics: ['a', 'b'],
        partition: 2,
        payload: { idTag: '04A2B3C4D5E6F7' },
      },
    });
    expect(fields).toEqual({
      namespace: 'Connection',
      level: 'error',
      error: { type: 'COORDINATOR_LOAD_IN_PROGRESS', code: 14, retriable: true },
      broker: '127.0.0.1:9092',
      topics: 2,
      partitions: 1,
    });
    expect(JSON.stringify(fields)).not.toMatch(/DE8AA|04A2B3|Response|at /);
  });

  it('takes an Error object by its name only, and refuses free text where a word is expected', () => {
    const err = Object.assign(new Error('Invalid value DE8AA123A45B678'), { name: 'KafkaJSNonRetriableError' });
    expect(mapKafkaLog({ namespace: 'Runner with spaces', level: 2, log: { error: err, type: 'not a word: DE8AA' } })).toEqual({
      namespace: 'kafkajs',
      level: 'warn',
      error: { name: 'KafkaJSNonRetriableError' },
    });
  });
});
