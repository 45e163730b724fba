import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { AmpsealError, TLS_UNTRUSTED_CODES } from '@ampseal/core';
import { avroTypeOf } from '@ampseal/schemas/codec';

/**
 * The analytics topic's value schema in the registry (subject `<topic>-value`, compatibility BACKWARD),
 * and an encoder to the Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian int,
 * then the Avro binary. Encoding is done here with a type compiled once, not through the registry client
 * per record.
 */
export interface AvroEncoder {
  readonly schemaId: number;
  /** Throws ENCODE_FAILED (stage `record`: the caller quarantines that record) when the record does not fit. */
  encode(record: unknown): Buffer;
}

/**
 * Where the registry is and how to log in: HTTP basic auth (Confluent Cloud API key and secret, Aiven, Apicurio's
 * basic client credentials) or a bearer token, and the CA bundle its https certificate must chain to. A bare URL
 * string is a registry without credentials.
 */
export interface RegistryConnection {
  readonly url: string;
  readonly auth?: { readonly username: string; readonly password: string } | { readonly token: string };
  /** PEM bundle; absent: Node's built-in public CAs. */
  readonly ca?: string;
}

function registryOf(connection: RegistryConnection | string): SchemaRegistry {
  const c = typeof connection === 'string' ? { url: connection } : connection;
  const auth = c.auth;
  return new SchemaRegistry({
    host: c.url,
    ...(auth && 'username' in auth ? { auth: { username: auth.username, password: auth.password } } : {}),
    // The client has basic auth built in; a bearer token goes in through its request middleware.
    ...(auth && 'token' in auth ? { middlewares: [() => ({ request: (request) => request.enhance({ headers: { authorization: `Bearer ${auth.token}` } }) })] } : {}),
    ...(c.ca && c.url.startsWith('https:') ? { agent: new Agent({ ca: c.ca, keepAlive: true }) } : {}),
  });
}

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

export async function registerSchema(
  registryUrl: RegistryConnection | string,
  topic: string,
  schemaFile: string,
): Promise<{ id: number; subject: string }> {
  const registry = registryOf(registryUrl);
  const subject = subjectFor(topic);
  try {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: readFileSync(schemaFile, 'utf8') },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return { id, subject };
  } catch (err) {
    const status = (err as { status?: number }).status;
    // 409: the new schema breaks BACKWARD compatibility with what consumers read; a deploy must stop.
    if (status === 409) throw new AmpsealError('CONFIG_INVALID', `schema for ${subject} is not BACKWARD compatible with the registered one`);
    // 401/403: wrong or missing credentials; waiting will not fix them.
    if (status === 401 || status === 403) throw new AmpsealError('AUTHENTICATION_FAILED', `schema registry (HTTP ${status})`);
    const code = (err as { code?: unknown }).code ?? ((err as { cause?: { code?: unknown } }).cause?.code) ?? (await tlsFailureOf(registryUrl));
    if (typeof code === 'string' && TLS_UNTRUSTED_CODES.has(code)) throw new AmpsealError('TLS_UNTRUSTED', `schema registry (${code})`);
    throw new AmpsealError('REGISTRY_UNAVAILABLE', `registering ${subject} failed`, { cause: err });
  }
}

/**
 * The registry client reports a failed TLS handshake as an HTTP 400 whose message is Node's text, without the
 * error's code; waiting would not fix a certificate that does not verify, so after a failed registration one bare
 * handshake with the same CA bundle names the code (undefined when the handshake succeeds or is not https).
 */
async function tlsFailureOf(connection: RegistryConnection | string): Promise<string | undefined> {
  const c = typeof connection === 'string' ? { url: connection } : connection;
  if (!c.url.startsWith('https:')) return undefined;
  return new Promise((resolve) => {
    const req = httpsRequest(c.url, { method: 'HEAD', ...(c.ca ? { ca: c.ca } : {}), agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code));
    req.end();
  });
}

export async function createAvroEncoder(registryUrl: RegistryConnection | string, topic: string, schemaFile: string): Promise<AvroEncoder> {
  const { id } = await registerSchema(registryUrl, topic, schemaFile);
  return avroEncoderFor(id, schemaFile);
}

/**
 * The encoder of a schema already registered under `id`: a handler thread gets the id its main thread registered,
 * and encodes without a registry client of its own.
 */
export function avroEncoderFor(id: number, schemaFile: string): AvroEncoder {
  const type = avroTypeOf(schemaFile);
  // The record is written once, straight after the header, into a scratch buffer reused across records, then
  // copied once into an exact-size buffer (from Node's pool for small sizes). type.toBuffer() wrote into its
  // own scratch, allocated a zero-filled buffer, copied, and we copied that again behind the header.
  let scratch: Buffer = Buffer.allocUnsafe(16 * 1024);
  const header = (buf: Buffer) => {
    buf[0] = 0;
    buf.writeInt32BE(id, 1);
    return buf;
  };
  header(scratch);
  return {
    schemaId: id,
    encode(record: unknown): Buffer {
      let end: number;
      try {
        end = type.encode(record, scratch, 5);
        if (end < 0) {
          // avsc reports the bytes missing as a negative number: grow once and write again.
          scratch = header(Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end)));
          end = type.encode(record, scratch, 5);
        }
      } catch {
        // avsc's message quotes the offending value: only the field paths are kept, and no cause is attached.
        const paths: string[] = [];
        type.isValid(record, { errorHook: (path) => paths.push(path.join('.')) });
        throw new AmpsealError('ENCODE_FAILED', paths.length > 0 ? `fields ${paths.slice(0, 5).join(', ')}` : undefined);
      }
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    },
  };
}

/** Decodes our own wire format (tests, the demo's live view). */
export function decodeWire(type: avro.Type, buf: Buffer): { schemaId: number; value: unknown } {
  if (buf.length < 5 || buf[0] !== 0) throw new Error('not Confluent wire format');
  return { schemaId: buf.readInt32BE(1), value: type.fromBuffer(buf.subarray(5)) };
}

/**
 * The registry as a downstream consumer uses it (tests, ops checks): register a schema, look one up, and encode
 * or decode the Confluent wire format through the registry rather than through our own compiled type.
 */
export interface RegistryClient {
  register(schema: string, subject: string): Promise<{ id: number }>;
  latestSchemaId(subject: string): Promise<number>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /** The record as the writer schema says; its shape is the caller's to assert (`any`, as the registry client's own). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decode(wire: Buffer): Promise<any>;
}

export function createRegistryClient(registryUrl: RegistryConnection | string): RegistryClient {
  const registry = registryOf(registryUrl);
  return {
    register: (schema, subject) => registry.register({ type: SchemaType.AVRO, schema }, { subject }),
    latestSchemaId: (subject) => registry.getLatestSchemaId(subject),
    encode: (schemaId, value) => registry.encode(schemaId, value),
    decode: (wire) => registry.decode(wire),
  };
}
