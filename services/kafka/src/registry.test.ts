import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { ANALYTICS_SCHEMA_FILE } from '@ampseal/schemas';
import { decodeWire, registerSchema, subjectFor } from './registry';

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

/**
 * The registry's credentials on the wire. A local HTTP listener records the Authorization header and answers 401,
 * as a registry does to a wrong key: the local stack's Apicurio has no authentication to test against (README).
 */
describe('registry credentials', () => {
  let server: Server;
  let url = '';
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end('{"error_code":401,"message":"Unauthorized"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ['basic auth', { username: 'api-key', password: 'api-secret' }, `Basic ${Buffer.from('api-key:api-secret').toString('base64')}`],
    ['a bearer token', { token: 'tkn-123' }, 'Bearer tkn-123'],
  ])('sends %s, and a 401 stops the start as AUTHENTICATION_FAILED without the secret', async (_, auth, header) => {
    seen.length = 0;
    const error = await registerSchema({ url, auth }, 't.analytics.v1', ANALYTICS_SCHEMA_FILE).catch((err: unknown) => err);
    expect(seen[0]).toBe(header);
    expect(error).toMatchObject({ code: 'AMPSEAL_ERR_AUTHENTICATION_FAILED', retriable: false });
    expect((error as Error).message).not.toMatch(/api-secret|tkn-123/);
  });
});
