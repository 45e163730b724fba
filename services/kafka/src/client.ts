import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@ampseal/runtime';

const LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs logs through our pino logger. Only kafkajs' own message and a few scalar fields pass: its
 * entries describe brokers, groups and retries, and we drop anything shaped like a record.
 */
function bridge(logger: Logger): logCreator {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, namespace: _ns, level: _l, label: _lb, timestamp: _t, logger: _lg, ...rest } = log as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
      }
      logger[LEVEL[level] ?? 'info']({ kafkajs: fields }, String(message));
    };
}

export function createKafka(options: { brokers: readonly string[]; clientId: string; logger: Logger }): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: bridge(options.logger.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
  });
}
