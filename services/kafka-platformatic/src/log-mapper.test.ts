import { NetworkError, ProtocolError, ResponseError } from '@platformatic/kafka';
import { mapClientEvent } from './log-mapper';

describe('client events become structured fields, never library text', () => {
  it('a failed broker connection: the broker address and the error class, not its message', () => {
    const fields = mapClientEvent('client:broker:failed', 'warn', { broker: { host: 'kafka-1.local', port: 9092 }, error: new NetworkError('Connection to kafka-1.local:9092 failed: secret-ish text') });
    expect(fields).toEqual({ namespace: 'client_broker_failed', level: 'warn', broker: 'kafka-1.local:9092', error: { name: 'NetworkError', code: 'PLT_KFK_NETWORK', retriable: true } });
    expect(JSON.stringify(fields)).not.toContain('secret');
  });

  it("a heartbeat error: the Kafka error name of the broker's answer", () => {
    const error = new ResponseError(12 /* Heartbeat */, 4, { '/': [new ProtocolError('REBALANCE_IN_PROGRESS').apiCode, null] }, {});
    expect(mapClientEvent('consumer:heartbeat:error', 'warn', { groupId: 'g', error }).error).toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
  });
});
