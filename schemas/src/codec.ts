import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import avro from 'avsc';
import { ANALYTICS_SCHEMA_FILE } from './index';

/**
 * Compiled Avro types, one per schema file. Compiling a schema is the costly step of avsc (it generates the
 * reader and writer code); the type itself is stateless, so every encoder, decoder and test shares one.
 */
const types = new Map<string, avro.Type>();

/** The Avro type of a schema file, compiled once per process. */
export function avroTypeOf(schemaFile: string): avro.Type {
  const key = path.resolve(schemaFile);
  let type = types.get(key);
  if (type === undefined) {
    type = avro.Type.forSchema(JSON.parse(readFileSync(key, 'utf8')) as avro.Schema);
    types.set(key, type);
  }
  return type;
}

/** The analytics record's Avro type (schemas/avro/charging-session-event.avsc), compiled once per process. */
export function analyticsType(): avro.Type {
  return avroTypeOf(ANALYTICS_SCHEMA_FILE);
}
