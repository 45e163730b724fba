import { AmpsealError } from './errors';
import { type Envelope, parseEnvelope } from './envelope';
import { createOcpiValidators, type OcpiValidators } from './validation/ocpi';
import { createOcppValidators, type OcppValidators } from './validation/ocpp';

export const DEFAULT_MAX_BYTES = 256 * 1024;

export type ParseResult = { ok: true; envelope: Envelope } | { ok: false; error: AmpsealError };

export interface InputParserOptions {
  /** Largest accepted record in bytes (UTF-8); larger ones are `too_large`. Default 256 KiB. */
  maxBytes?: number;
  /** The repository's `schemas/` folder; see validation/schema-dir.ts. */
  schemaDir?: string;
}

export interface InputParser {
  /**
   * One raw record (Kafka value, NDJSON line) to a checked envelope, or the input error with its quarantine
   * reason. Never throws for bad input; no error message quotes the input.
   */
  parse(raw: Buffer | string): ParseResult;
  readonly ocpp: OcppValidators;
  readonly ocpi: OcpiValidators;
}

/**
 * The input side of the pure core: size → JSON → envelope and OCPP-J frame → payload schema. Schema folders are
 * read here, once; OCPP schemas compile on first use of each message type.
 */
export function createInputParser(options: InputParserOptions = {}): InputParser {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new AmpsealError('CONFIG_INVALID', 'maxBytes must be a positive integer');
  }
  const schemaOptions = options.schemaDir === undefined ? {} : { schemaDir: options.schemaDir };
  const ocpp = createOcppValidators(schemaOptions);
  const ocpi = createOcpiValidators(schemaOptions);

  const parse = (raw: Buffer | string): ParseResult => {
    // Size first, before any parsing work. A UTF-16 code unit takes 1 to 3 UTF-8 bytes, so the exact byte
    // count is only needed in the band between maxBytes/3 and maxBytes characters.
    let text: string;
    if (typeof raw === 'string') {
      if (raw.length > maxBytes) return fail(new AmpsealError('TOO_LARGE'));
      if (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes) {
        return fail(new AmpsealError('TOO_LARGE'));
      }
      text = raw;
    } else {
      if (raw.length > maxBytes) return fail(new AmpsealError('TOO_LARGE'));
      text = raw.toString('utf8');
    }

    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // No `cause`: V8's SyntaxError message quotes the input around the bad token.
      return fail(new AmpsealError('BAD_JSON'));
    }

    const envelope = parseEnvelope(value);
    if (envelope instanceof AmpsealError) return fail(envelope);

    let error: AmpsealError | undefined;
    if (envelope.source === 'ocpi2.2.1') {
      error = ocpi.validate(envelope.module, envelope.object);
    } else if (envelope.direction !== undefined) {
      error = ocpp.validate(envelope.source, envelope.action, envelope.direction, envelope.payload);
    } else if (envelope.action !== '' && !ocpp.has(envelope.source, envelope.action)) {
      // CALLERROR: no payload to validate, but a named action must exist in the version.
      error = new AmpsealError('UNKNOWN_ACTION');
    }
    if (error !== undefined) return fail(error);
    return { ok: true, envelope };
  };

  return { parse, ocpp, ocpi };
}

function fail(error: AmpsealError): ParseResult {
  return { ok: false, error };
}
