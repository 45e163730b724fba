import avro from 'avsc';
import { decodeWire, subjectFor } from './registry';

describe('Confluent wire format helpers', () => {
  const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'token', type: 'string' }] });

  it('names the value subject of a topic <topic>-value (TopicNameStrategy)', () => {
    expect(subjectFor('charging.sessions.analytics.v1')).toBe('charging.sessions.analytics.v1-value');
  });

  it('reads the schema id from the 5-byte header and decodes the Avro body', () => {
    const body = type.toBuffer({ token: 'abc' });
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 1, 7]), body]);
    expect(decodeWire(type, wire)).toEqual({ schemaId: 263, value: { token: 'abc' } });
  });

  it('refuses bytes without the magic byte', () => {
    expect(() => decodeWire(type, Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow('not Confluent wire format');
  });
});
