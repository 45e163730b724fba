import { createLogger, loadConfig } from '@ampseal/runtime';
import { createPseudonymizer } from './service';

/** `ampseal run pseudonymizer`: runs until SIGTERM/SIGINT, then drains and exits 0 on a clean stop. */
export async function runPseudonymizer(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, name: 'pseudonymizer' });
  const service = createPseudonymizer(config, logger);
  service.lifecycle.exitOnSignals();
  try {
    await service.lifecycle.start();
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message } }, 'start failed');
    process.exitCode = 1;
    return;
  }
  logger.info({ instance: config.instanceId, port: service.ops.port, audiences: config.audiences }, 'pseudonymizer running');
}
