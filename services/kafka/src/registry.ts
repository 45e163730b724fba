import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * Registration attempts at start, and the first pause between two (doubling: 0.25, 0.5, 1, 2 s, about 4 s in all).
 * A retriable failure (the registry busy or restarting, or another instance registering the same new subject at
 * the same moment) is tried again within this bound; past it the start fails and the orchestrator restarts us with
 * its own back-off. A failure waiting cannot fix (credentials, an incompatible schema, a wrong URL) fails at once.
 */
const REGISTER_ATTEMPTS = 5;
const REGISTER_FIRST_PAUSE_MS = 250;

export async function registerSchema(
  registryUrl: RegistryConnection | string,
  topic: string,
  schemaFile: string,
): Promise<{ id: number; subject: string }> {
  const registry = registryOf(registryUrl);
  const subject = subjectFor(topic);
  // Read before any request: a missing schema file is ours to report as itself, not as the registry's failure.
  const schema = readFileSync(schemaFile, 'utf8');
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject, compatibility: COMPATIBILITY.BACKWARD });
      return { id, subject };
    } catch (err) {
      let { error: failure, again } = registrationFailure(err, subject);
      if (failure.code === 'AMPSEAL_ERR_REGISTRY_UNAVAILABLE') {
        // The client reports a failed TLS handshake as an HTTP 400 of its own, without the error's code.
        const tls = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code ?? (await tlsFailureOf(registryUrl));
        if (typeof tls === 'string' && TLS_UNTRUSTED_CODES.has(tls)) [failure, again] = [new AmpsealError('TLS_UNTRUSTED', `schema registry (${tls})`), false];
      }
      if (!again || attempt >= REGISTER_ATTEMPTS) throw failure;
      await sleep(REGISTER_FIRST_PAUSE_MS * 2 ** (attempt - 1));
    }
  }
}

/**
 * What a failed registration means, from the registry client's error alone (pure: the unit tests give it the
 * errors the client throws), and whether to try again. The client asks for the subject's compatibility, registers,
 * then, for a subject new to the registry, sets its compatibility: a second instance starting beside the first
 * meets two harmless races there, both tried again (the next attempt finds the subject set):
 * - a 409 on setting the compatibility: the first set it already (Apicurio: "A rule named 'COMPATIBILITY' already
 *   exists");
 * - a compatibility of NONE between the first's registration and its setting (Apicurio answers the global default
 *   for a subject without a rule of its own). A subject still not BACKWARD after the attempts is a configuration
 *   error: an operator set it so, and waiting will not change it.
 * Which request failed is in the error's `url` ("method url"): a 409 on the registration itself is an incompatible
 * schema. The message names the status and the request's path, never the host (it may carry credentials).
 */
export function registrationFailure(err: unknown, subject: string): { readonly error: AmpsealError; readonly again: boolean } {
  const e = (err ?? {}) as { status?: unknown; url?: unknown; name?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : undefined;
  // mappersmith writes the method in lower case ("put http://…").
  const [lower, url] = typeof e.url === 'string' ? e.url.split(' ', 2) : [];
  const method = lower?.toUpperCase();
  const request = method && url ? ` on ${method} ${pathOf(url)}` : '';
  const final = (error: AmpsealError) => ({ error, again: false });
  if (e.name === 'ConfluentSchemaRegistryCompatibilityError') {
    return { error: new AmpsealError('CONFIG_INVALID', `subject ${subject} is not set to BACKWARD compatibility in the registry (${String(e.message)})`), again: true };
  }
  if (status === 409 && method === 'PUT' && /\/config\//.test(url ?? '')) {
    return { error: new AmpsealError('REGISTRY_UNAVAILABLE', `registering ${subject}: another client set its compatibility at the same moment (HTTP 409${request})`), again: true };
  }
  // 409: the new schema breaks BACKWARD compatibility with what consumers read; a deploy must stop.
  if (status === 409) return final(new AmpsealError('CONFIG_INVALID', `schema for ${subject} is not BACKWARD compatible with the registered one (HTTP 409${request})`));
  // 401/403: wrong or missing credentials; waiting will not fix them.
  if (status === 401 || status === 403) return final(new AmpsealError('AUTHENTICATION_FAILED', `schema registry (HTTP ${status}${request})`));
  // 404, 422: a URL that does not serve the Confluent API, or a schema the registry refuses; waiting will not fix
  // either. Not 400: the client reports every failure to get an answer at all (refused, reset, a TLS handshake) as
  // a 400 of its own, so a 400 is read as no answer and retried, and still names itself if it stays.
  if (status === 404 || status === 422) {
    return final(new AmpsealError('CONFIG_INVALID', `the schema registry refused to register ${subject} (HTTP ${status}${request}): check AMPSEAL_SCHEMA_REGISTRY_URL and the schema`));
  }
  // A bare error's message (Node's, e.g. "connect ECONNREFUSED 10.0.0.5:8081") keeps its host; any user:password@
  // an operator put in the URL is cut.
  const why = status !== undefined ? `HTTP ${status}${request}` : typeof e.message === 'string' ? e.message.replace(/\/\/[^/@\s]*@/g, '//').slice(0, 200) : 'no answer';
  return { error: new AmpsealError('REGISTRY_UNAVAILABLE', `registering ${subject} failed (${why})`, { cause: err }), again: true };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(unparsed URL)';
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
