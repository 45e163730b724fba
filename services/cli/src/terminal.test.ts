import { plainSentence, terminalLogger } from './terminal';

describe('terminal logger (no raw library log line reaches the terminal)', () => {
  it('turns a kafkajs event into one plain sentence naming the client part and the broker', () => {
    const line = JSON.stringify({ level: 50, component: 'kafkajs', kafkajs: { namespace: 'Connection', level: 'error', broker: '127.0.0.1:9092' }, msg: 'kafka client event' });
    expect(plainSentence(line)).toBe('error: kafka client: Connection error (broker 127.0.0.1:9092)');
  });

  it('says each kind of event once, without JSON', () => {
    const out: string[] = [];
    const logger = terminalLogger('warn', (text) => out.push(text));
    for (let i = 0; i < 5; i++) logger.child({ component: 'keyring' }).warn({ event: 'keyring.redis.error', error: 'Error' }, 'redis connection error');
    logger.info({}, 'not shown at warn');
    logger.flush?.();
    expect(out).toEqual(['ampseal: warning: keyring: redis connection error [keyring.redis.error]\n']);
  });
});
