/**
 * The logging surface an adapter may use: structured fields first, a fixed message second. The service kit
 * supplies a pino logger (redaction configured in one place); adapters never import pino themselves.
 */
export interface LogFn {
  (fields: object, message?: string): void;
}

export interface Logger {
  readonly fatal: LogFn;
  readonly error: LogFn;
  readonly warn: LogFn;
  readonly info: LogFn;
  readonly debug: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** For tools and tests that want no log at all. */
export const silentLogger: Logger = {
  fatal: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
