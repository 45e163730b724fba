/**
 * @ampseal/schemas: the analytics record as its Avro schema defines it. Everything here comes from
 * avro/charging-session-event.avsc (see scripts/generate.mjs), so the core, the adapters and the tests share one
 * definition. No runtime dependency: the codec, which needs avsc, is `@ampseal/schemas/codec`.
 */
import * as path from 'node:path';

export * from './generated/analytics';

/** avro/charging-session-event.avsc: the analytics record (what the registry gets). */
export const ANALYTICS_SCHEMA_FILE = path.join(__dirname, '..', 'avro', 'charging-session-event.avsc');
/** Earlier versions of the analytics schema, kept so tests prove each new one registers under BACKWARD. */
export const ANALYTICS_SCHEMA_HISTORY = ['v1', 'v2'].map((v) => path.join(__dirname, '..', 'avro', 'history', `charging-session-event.${v}.avsc`));
