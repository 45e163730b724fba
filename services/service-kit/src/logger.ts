import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths that would hold record content if a caller ever logged an object carrying it. ampseal never logs
 * envelopes, payloads, identifiers, tokens or keys in the first place; this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'envelope',
  'payload',
  'frame',
  'object',
  'record',
  'value',
  'idTag',
  'idToken',
  'subject',
  'subjects',
  'identifier',
  'identifiers',
  'key',
  'blindIndex',
  'token',
  'tokens',
  'err.input',
  '*.envelope',
  '*.payload',
  '*.frame',
  '*.value',
  '*.idTag',
  '*.idToken',
  '*.subject',
  '*.identifier',
  '*.key',
  '*.blindIndex',
  '*.token',
];

/** The one root logger of a process (style rule 8); components take `logger.child({ component })`. */
export function createLogger(options: { level: string; name: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
