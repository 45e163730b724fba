import avro from 'avsc';
import { registryClient } from '../harness/clients';
import { uniqueName } from '../harness/resources';

const schema = {
  type: 'record',
  name: 'SmokeEvent',
  namespace: 'io.ampseal.smoke',
  fields: [
    { name: 'token', type: 'string' },
    { name: 'kwh', type: ['null', 'double'], default: null },
  ],
};

describe('Schema registry (Apicurio, Confluent-compatible API)', () => {
  it('registers an Avro schema and round-trips a record in the Confluent wire format', async () => {
    const registry = registryClient();
    const subject = `${uniqueName('smoke-topic')}-value`;
    const { id } = await registry.register(JSON.stringify(schema), subject);
    expect(Number.isInteger(id)).toBe(true);
    expect(await registry.latestSchemaId(subject)).toBe(id);

    const record = { token: 'tok_abc', kwh: 12.5 };
    const encoded = await registry.encode(id, record);
    // Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    const body = avro.Type.forSchema(schema as avro.Schema).fromBuffer(encoded.subarray(5));
    expect(body).toEqual(record);
    expect(await registry.decode(encoded)).toEqual(record);
  });
});
