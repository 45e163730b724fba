import { AmpsealError } from '@ampseal/core';
import { classifyFailure } from '@ampseal/kafka';
import { decodeChunk, decodeError, decodeOutputs, encodeChunk, encodeError, encodeOutputs, logEntry, packBytes, unpackBytes } from './protocol';

/** What crossing a thread boundary does to a message: a structured clone, the transferred buffers moved. */
function cross<T>(message: T, transfer: ArrayBuffer[]): T {
  return structuredClone(message, { transfer });
}

describe('handler thread messages', () => {
  it('packs byte fields into one buffer and reads them back as views, nulls and empty fields kept apart', () => {
    const packed = packBytes([Buffer.from('ab'), null, Buffer.alloc(0), 'zé']);
    expect(packed.buffer.byteLength).toBe(2 + 0 + 3);
    expect(unpackBytes(packed).map((b) => (b === null ? null : b.toString()))).toEqual(['ab', null, '', 'zé']);
  });

  it("carries a chunk's records across with their order, offsets, keys, null values and headers", () => {
    // Values sliced out of one larger buffer, as kafkajs hands them (views of its fetch response).
    const fetched = Buffer.from('xxCP-1{"a":1}CP-2');
    const records = [
      { topic: 'ocpp.raw', partition: 3, offset: '41', key: fetched.subarray(2, 6), value: fetched.subarray(6, 13) },
      { topic: 'ocpp.raw', partition: 3, offset: '45', key: null, value: null, headers: { trace: 't1' } },
      { topic: 'ocpp.raw', partition: 3, offset: '46', key: fetched.subarray(13), value: Buffer.alloc(0) },
    ];
    const { message, transfer } = encodeChunk(7, records);
    const decoded = decodeChunk(cross(message, transfer));
    expect(decoded).toEqual(records);
    // The source buffer is untouched (copied, not transferred: it is kafkajs').
    expect(fetched.toString()).toBe('xxCP-1{"a":1}CP-2');
    // The sender's copy moved to the other side.
    expect(message.bytes.buffer.byteLength).toBe(0);
  });

  it('carries outputs back with their topics, headers and key bytes (a string crosses as its UTF-8 bytes)', () => {
    const outputs = [
      { topic: 'analytics', key: 'tok_1', value: Buffer.from([0, 0, 0, 0, 42, 1]) },
      { topic: 'ampseal.quarantine', key: Buffer.from('CP-1'), value: Buffer.from('{oops'), headers: { 'ampseal.reason': 'bad_json' } },
      { topic: 'ocpi.roaming.NL-TNM.v1', key: null, value: '{"recipient":"NL-TNM","ü":1}' },
      { topic: 'analytics', key: 'tok_2', value: Buffer.from([0, 0, 0, 0, 42, 2]) },
    ];
    const events = [{ channel: 'ampseal:pseudonymizer', message: { records: 4 } }];
    const { message, transfer } = encodeOutputs(9, outputs, events);
    const arrived = cross(message, transfer);
    expect(arrived.topics).toEqual(['analytics', 'ampseal.quarantine', 'ocpi.roaming.NL-TNM.v1']);
    expect(arrived.events).toEqual(events);
    const decoded = decodeOutputs(arrived);
    expect(decoded.map((o) => [o.topic, o.key === null ? null : o.key.toString(), o.value.toString('latin1'), o.headers])).toEqual(
      outputs.map((o) => [o.topic, o.key === null ? null : o.key.toString(), Buffer.from(o.value).toString('latin1'), o.headers]),
    );
    for (const o of decoded) expect(Buffer.isBuffer(o.value)).toBe(true);
  });
});

describe('errors crossing a thread', () => {
  const roundTrip = (err: unknown) => decodeError(structuredClone(encodeError(err)));

  it('keeps an AmpsealError its table entry, message, pointer and keyword, so the failure policy decides the same', () => {
    const cases = [
      new AmpsealError('KEYRING_UNAVAILABLE', 'redis', { cause: new Error('ECONNREFUSED') }),
      new AmpsealError('KMS_UNAVAILABLE'),
      new AmpsealError('KEY_INTEGRITY'),
      new AmpsealError('SCHEMA_VIOLATION', undefined, { pointer: '/frame/3/idTag', keyword: 'maxLength' }),
      new AmpsealError('HANDLER_THREAD_EXITED'),
    ];
    for (const err of cases) {
      const back = roundTrip(err);
      expect(back).toBeInstanceOf(AmpsealError);
      expect(back).toMatchObject({ code: err.code, reason: err.reason, retriable: err.retriable, stage: err.stage, message: err.message, pointer: err.pointer, keyword: err.keyword });
      expect(classifyFailure(back)).toEqual({ action: classifyFailure(err).action, error: back });
    }
    expect(classifyFailure(roundTrip(cases[0])).action).toBe('retry');
    expect(classifyFailure(roundTrip(cases[2])).action).toBe('stop');
  });

  it('keeps a foreign error its name, kafkajs type, code, retriable flag and cause chain, as the failure policy reads them', () => {
    const protocol = Object.assign(new Error('This server is not the leader'), { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true });
    const gaveUp = new Error('retries exceeded', { cause: protocol });
    gaveUp.name = 'KafkaJSNumberOfRetriesExceeded';
    const fenced = Object.assign(new Error('fenced'), { name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', code: 47, retriable: false });
    const bug = new TypeError('encoder bug');
    for (const err of [gaveUp, fenced, bug, 'a string thrown']) {
      const before = classifyFailure(err);
      const after = classifyFailure(roundTrip(err));
      expect([after.action, after.error.code]).toEqual([before.action, before.error.code]);
    }
    expect(classifyFailure(roundTrip(gaveUp)).action).toBe('retry');
    expect(classifyFailure(roundTrip(fenced)).error.code).toBe('AMPSEAL_ERR_PRODUCER_FENCED');
    expect(classifyFailure(roundTrip(bug))).toMatchObject({ action: 'stop', error: { code: 'AMPSEAL_ERR_INTERNAL', message: 'internal error: TypeError' } });
  });
});

describe("a thread's log lines", () => {
  it("are logged again on the main thread with their level, fields and message, pino's own fields left to the main logger", () => {
    const line = JSON.stringify({ level: 40, time: '2026-11-30T01:00:00.000Z', pid: 7, hostname: 'h', name: 'pseudonymizer', service: 'pseudonymizer', thread: 0, component: 'keyring', tenant: 'acme-cpo', msg: 'key set refreshed' });
    expect(logEntry(line)).toEqual({ level: 'warn', fields: { thread: 0, component: 'keyring', tenant: 'acme-cpo' }, msg: 'key set refreshed' });
    expect(logEntry('not json')).toBeUndefined();
    expect(logEntry(JSON.stringify({ level: 35, msg: 'custom level' }))).toBeUndefined();
  });
});
