import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@ampseal/service-kit';

/** A real pino root logger (same redaction as production) whose lines the test can read. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level, name: 'test' }, stream), lines };
}
