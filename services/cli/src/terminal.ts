import { createLogger, type Logger } from '@ampseal/service-kit';

/**
 * The CLI's logger: what the libraries report (kafkajs' connection and protocol events, the key ring's Redis warnings)
 * reaches the terminal as one plain sentence per kind of event, never as the JSON lines a service writes for its log
 * pipeline. An operator reads "warning: kafka client: Connection error (broker 127.0.0.1:9092)" once, and the command's
 * own message says what went wrong.
 */
export function terminalLogger(level: string, write: (text: string) => void = (text) => process.stderr.write(text)): Logger {
  const said = new Set<string>();
  return createLogger(
    { level, name: 'ampseal-cli' },
    {
      write(line: string): void {
        const sentence = plainSentence(line);
        if (sentence === undefined || said.has(sentence)) return;
        said.add(sentence);
        write(`ampseal: ${sentence}\n`);
      },
    },
  );
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** One pino JSON line → `warning: <component>: <what> (<where>)`, from field names only: no field value beyond broker and event. */
export function plainSentence(line: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = LEVELS[entry.level as number] ?? 'note';
  const kafkajs = entry.kafkajs as { namespace?: unknown; level?: unknown; broker?: unknown } | undefined;
  if (kafkajs !== undefined) {
    const where = typeof kafkajs.broker === 'string' ? ` (broker ${kafkajs.broker})` : '';
    return `${level}: kafka client: ${String(kafkajs.namespace ?? 'client')} ${String(kafkajs.level ?? 'event')}${where}`;
  }
  const component = typeof entry.component === 'string' ? `${entry.component}: ` : '';
  const event = typeof entry.event === 'string' ? ` [${entry.event}]` : '';
  return `${level}: ${component}${String(entry.msg ?? 'event')}${event}`;
}
