import { AmpsealError, type ErrorName } from './errors';
import { type Envelope, type LocationNotice, parseEnvelope } from './envelope';
import { createOcpiValidators, type OcpiValidators } from './validation/ocpi';
import { createOcppValidators, type OcppValidators } from './validation/ocpp';
import { findLoneSurrogate, isWellFormed, mayHoldLoneSurrogate, type SchemaNode } from './validation/unicode';

export const DEFAULT_MAX_BYTES = 256 * 1024;

export type ParseResult =
  | { ok: true; envelope: Envelope }
  /** An OCPI Location: no event, only whether it is a private site (envelope.ts LocationNotice). */
  | { ok: true; location: LocationNotice }
  | { ok: false; error: AmpsealError };

export interface InputParserOptions {
  /** Largest accepted record in bytes (UTF-8); larger ones are `too_large`. Default 256 KiB. */
  maxBytes?: number;
  /** The repository's `schemas/` folder; see validation/schema-dir.ts. */
  schemaDir?: string;
}

export interface InputParser {
  /**
   * One raw record (Kafka value, NDJSON line) to a checked envelope, or the input error with its quarantine
   * reason, the JSON pointer of the failing value in the record (e.g. `/frame/3/idTag`, `/object/cdr_token/uid`)
   * and the rule that failed. Never throws for bad input; no error message or pointer quotes the input.
   */
  parse(raw: Buffer | string): ParseResult;
  readonly ocpp: OcppValidators;
  readonly ocpi: OcpiValidators;
}

/** The envelope's own fields, for naming them in a pointer; the payload is walked with its own schema. */
const ENVELOPE_SCHEMA: SchemaNode = {
  properties: {
    tenant: {},
    source: {},
    stationId: {},
    receivedAt: {},
    action: {},
    module: {},
    method: {},
    fleet: { properties: { vehicleId: {}, driverId: {} } },
    // [type, messageId, action | payload | errorCode, payload | errorDescription, errorDetails]
    frame: { items: [{}, {}, {}, {}, {}] },
    object: {},
  },
};

/**
 * The input side of the pure core: size → JSON → envelope and OCPP-J frame → well-formed strings → payload
 * schema. Schema folders are read here, once; OCPP schemas compile on first use of each message type.
 */
export function createInputParser(options: InputParserOptions = {}): InputParser {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new AmpsealError('CONFIG_INVALID', 'maxBytes must be a positive integer');
  }
  const schemaOptions = options.schemaDir === undefined ? {} : { schemaDir: options.schemaDir };
  const ocpp = createOcppValidators(schemaOptions);
  const ocpi = createOcpiValidators(schemaOptions);

  /** Where the payload sits in the record, and its schema. */
  const payloadOf = (envelope: Envelope, value: Record<string, unknown>) => {
    if (envelope.source === 'ocpi2.2.1') {
      return { payload: envelope.object, pointer: '/object', schema: ocpi.schema(envelope.module) as SchemaNode };
    }
    if (envelope.direction === undefined) return undefined;
    const frame = value.frame as unknown[];
    const at = envelope.messageType === 'CALL' ? 3 : 2;
    const schema = ocpp.schema(envelope.source, envelope.action, envelope.direction) as SchemaNode | undefined;
    return { payload: frame[at], pointer: `/frame/${at}`, schema };
  };

  const loneSurrogate = (envelope: Envelope, value: Record<string, unknown>): AmpsealError | undefined => {
    const located = payloadOf(envelope, value);
    let pointer: string | undefined;
    if (located !== undefined) {
      const { payload, schema } = located;
      pointer = findLoneSurrogate(payload, { pointer: located.pointer, schema, root: schema });
    }
    pointer ??= findLoneSurrogate(value, { pointer: '', schema: ENVELOPE_SCHEMA, root: undefined, skip: located?.payload });
    return pointer === undefined ? undefined : new AmpsealError('BAD_UNICODE', pointer, { pointer, keyword: 'wellFormed' });
  };

  const parse = (raw: Buffer | string): ParseResult => {
    // Size first, before any parsing work. A UTF-16 code unit takes 1 to 3 UTF-8 bytes, so the exact byte
    // count is only needed in the band between maxBytes/3 and maxBytes characters.
    let text: string;
    if (typeof raw === 'string') {
      if (raw.length > maxBytes) return fail(new AmpsealError('TOO_LARGE', undefined, WHOLE_TOO_LARGE));
      if (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes) {
        return fail(new AmpsealError('TOO_LARGE', undefined, WHOLE_TOO_LARGE));
      }
      text = raw;
    } else {
      if (raw.length > maxBytes) return fail(new AmpsealError('TOO_LARGE', undefined, WHOLE_TOO_LARGE));
      text = raw.toString('utf8');
    }

    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No `cause`: V8's SyntaxError message quotes the input around the bad token.
      return fail(new AmpsealError('BAD_JSON', undefined, { pointer: '', keyword: 'json' }));
    }

    const envelope = parseEnvelope(value);
    if (envelope instanceof AmpsealError) return fail(envelope);
    if (!('source' in envelope)) {
      // A lone surrogate in an id would be learned as a site no record can ever name: refuse it like elsewhere.
      const broken = envelope.privateSites.findIndex((id) => !isWellFormed(id));
      if (broken >= 0) return fail(new AmpsealError('BAD_UNICODE', undefined, { pointer: '/object', keyword: 'wellFormed' }));
      return { ok: true, location: envelope };
    }
    const record = value as Record<string, unknown>;

    if (mayHoldLoneSurrogate(text, typeof raw !== 'string')) {
      const error = loneSurrogate(envelope, record);
      if (error !== undefined) return fail(error);
    }

    let error: AmpsealError | undefined;
    if (envelope.source === 'ocpi2.2.1') {
      error =
        envelope.patch && envelope.module !== 'cdrs'
          ? ocpi.validatePatch(envelope.module, envelope.object)
          : ocpi.validate(envelope.module, envelope.object);
      if (error !== undefined) error = within(error, '/object');
    } else if (envelope.direction !== undefined) {
      error = ocpp.validate(envelope.source, envelope.action, envelope.direction, envelope.payload);
      if (error !== undefined) {
        error =
          error.reason === 'unknown_action'
            ? unknownAction(envelope.messageType === 'CALL' ? '/frame/2' : '/action')
            : within(error, envelope.messageType === 'CALL' ? '/frame/3' : '/frame/2');
      }
    } else if (envelope.action !== '' && !ocpp.has(envelope.source, envelope.action)) {
      // CALLERROR: no payload to validate, but a named action must exist in the version.
      error = unknownAction('/action');
    }
    if (error !== undefined) return fail(error);
    return { ok: true, envelope };
  };

  return { parse, ocpp, ocpi };
}

const WHOLE_TOO_LARGE = { pointer: '', keyword: 'maxBytes' };

function unknownAction(pointer: string): AmpsealError {
  return new AmpsealError('UNKNOWN_ACTION', undefined, { pointer, keyword: 'enum' });
}

/**
 * A validator's error, whose pointer is relative to the payload, as an error of the record: the pointer of the
 * payload in the record goes in front (`/idTag` of a CALL → `/frame/3/idTag`), so every input error's pointer
 * resolves in the quarantined record itself.
 */
function within(error: AmpsealError, prefix: string): AmpsealError {
  if (error.pointer === undefined) return error;
  const pointer = error.pointer === '/' ? prefix : `${prefix}${error.pointer}`;
  const name = error.code.slice('AMPSEAL_ERR_'.length) as ErrorName;
  const keyword = error.keyword ?? 'schema';
  return new AmpsealError(name, `${pointer} ${keyword}`, { pointer, keyword });
}

function fail(error: AmpsealError): ParseResult {
  return { ok: false, error };
}
