import { createKafka } from '@ampseal/kafka';
import { createLogger } from '@ampseal/service-kit';
import { readSubset } from './dataset';
import { type LatencyChildConfig, type LatencyChildMessage, measureLatency } from './latency';

/**
 * The latency phase's load generator and reader (`node services/bench/dist/latency-child.js '<json>'`), in a
 * process of its own so that nothing but them shares its event loop and heap. Reports over IPC.
 */
async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as LatencyChildConfig;
  const send = (message: LatencyChildMessage) => process.send?.(message);
  const records = readSubset(config.subsetFile);
  const logger = createLogger({ level: 'error', name: 'bench-latency' });
  const kafka = createKafka({ brokers: config.brokers, clientId: `bench-latency-${process.pid}`, logger });
  const result = await measureLatency(kafka, records, config, () => send({ type: 'measuring' }));
  send({ type: 'done', result });
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', error: (err as Error).message } satisfies LatencyChildMessage);
  process.stderr.write(`latency load generator failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
