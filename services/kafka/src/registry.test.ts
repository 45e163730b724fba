import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { ANALYTICS_SCHEMA_FILE } from '@ampseal/schemas';
import { decodeWire, registerSchema, registrationFailure, subjectFor } from './registry';

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

/**
 * How a failed registration is read, from errors shaped as @kafkajs/confluent-schema-registry throws them (a
 * ResponseError with `status` and `url` = "method url", the method in lower case). The race case is what CI met: two pipelines starting
 * together on a new subject, the second told 409 by Apicurio when it set the subject's compatibility.
 */
describe('registrationFailure', () => {
  const base = 'http://user:secret@registry:8081/apis/ccompat/v7';
  const response = (status: number, url: string, message = 'x') => Object.assign(new Error(message), { name: 'ResponseError', status, url });
  const read = (err: unknown) => {
    const { error, again } = registrationFailure(err, 't.analytics.v1-value');
    return { code: error.code, again, message: error.message };
  };

  it('a 409 on setting the compatibility is a lost race: retriable', () => {
    const r = read(response(409, `put ${base}/config/t.analytics.v1-value`, "A rule named 'COMPATIBILITY' already exists."));
    expect(r).toMatchObject({ code: 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE', again: true });
    expect(r.message).toContain('PUT /apis/ccompat/v7/config/t.analytics.v1-value');
  });

  it('a 409 on the registration is an incompatible schema: not retriable', () => {
    expect(read(response(409, `post ${base}/subjects/t.analytics.v1-value/versions`))).toMatchObject({ code: 'AMPSEAL_ERR_CONFIG_INVALID', again: false });
  });

  it.each([
    // The client's own 400 for a connection refused or reset: the registry may be restarting.
    [400, 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE'],
    [401, 'AMPSEAL_ERR_AUTHENTICATION_FAILED'],
    [403, 'AMPSEAL_ERR_AUTHENTICATION_FAILED'],
    [404, 'AMPSEAL_ERR_CONFIG_INVALID'],
    [422, 'AMPSEAL_ERR_CONFIG_INVALID'],
    [500, 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE'],
    [503, 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE'],
  ])('HTTP %i → %s', (status, code) => {
    const r = read(response(status, `post ${base}/subjects/t.analytics.v1-value/versions`));
    expect(r.code).toBe(code);
    expect(r.again).toBe(code === 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE');
    expect(r.message).toContain(`HTTP ${status}`);
  });

  it('a subject set to another compatibility is tried again (the first instance may not have set it yet), and is a configuration error if it stays', () => {
    // What the benchmark's two instances met: the second asked between the first's registration and its setting.
    const err = Object.assign(new Error('Compatibility does not match the configuration (BACKWARD != NONE)'), { name: 'ConfluentSchemaRegistryCompatibilityError' });
    expect(read(err)).toMatchObject({ code: 'AMPSEAL_ERR_CONFIG_INVALID', again: true });
  });

  it('no answer at all is retriable, and never names the host or its credentials', () => {
    const r = read(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), { code: 'ECONNREFUSED' }));
    expect(r).toMatchObject({ code: 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE', again: true });
    for (const status of [409, 500]) expect(read(response(status, `put ${base}/config/s`)).message).not.toMatch(/secret|registry:8081/);
    expect(read(new TypeError(`fetch failed for ${base}/subjects`)).message).not.toContain('secret');
  });
});
