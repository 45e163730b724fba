import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createKafka, type KafkaClient } from '@ampseal/kafka';
import { createLogger, loadConfig, type Config } from '@ampseal/service-kit';
import { POD_NODE_OPTIONS } from './args';
import type { RawTopics } from './dataset';
import { stackFromEnvOrUp } from './stack';
import type { PipelineHost } from './throughput';

/** Partitions of a run's raw topics: as many as the pipeline's default topics. */
const PARTITIONS = 3;

export interface PipelineRun {
  readonly config: Config;
  readonly runId: string;
  readonly raw: RawTopics;
  readonly kafka: KafkaClient;
  readonly host: PipelineHost;
}

/**
 * What the fuzz and soak commands need to drive a pipeline child on the local stack (or the endpoints in the
 * environment): fresh raw topics named after the run, a Kafka client, and the host the bench's `startPipeline` takes.
 */
export function preparePipelineRun(kind: 'fuzz' | 'soak', recipients: ReadonlySet<string>): PipelineRun {
  const root = path.resolve(__dirname, '..', '..', '..');
  const stackEnv = stackFromEnvOrUp(root);
  const config = loadConfig(stackEnv);
  const runId = `${kind}-${randomBytes(4).toString('hex')}`;
  const raw: RawTopics = { ocpp: `${runId}.ocpp.raw.v1`, ocpi: `${runId}.ocpi.raw.v1` };
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: runId, logger: createLogger({ level: 'error', name: kind }), security: config.kafkaSecurity });
  const host: PipelineHost = {
    root,
    stackEnv,
    runId,
    nodeOptions: POD_NODE_OPTIONS,
    partitions: PARTITIONS,
    maxRecordsPerTransaction: config.maxRecordsPerTransaction,
    profileDir: undefined,
    created: { topics: [raw.ocpp, raw.ocpi], subjects: [] },
    data: { recipients },
  };
  return { config, runId, raw, kafka, host };
}

/**
 * The shared entry of a bench command run as a script: arguments parsed (usage and exit 2 on a mistake), then the
 * exit code of `main`. A client a failed run could not close must not keep the command alive once it has reported.
 */
export function runCommand<A>(name: string, usage: string, parse: (argv: string[]) => A, main: (args: A) => Promise<number>): void {
  let args: A;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  main(args).then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(), 2_000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`[${name}] failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
      setTimeout(() => process.exit(), 2_000).unref();
    },
  );
}
