import { createLogger, loadConfig } from '@ampseal/runtime';
import { createShredder } from './service';

/** `ampseal run shredder`: runs until SIGTERM/SIGINT, then drains and exits 0 on a clean stop. */
export async function runShredder(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, { groupId: 'ampseal-shredder' });
  const logger = createLogger({ level: config.logLevel, name: 'shredder' });
  const service = createShredder(config, logger);
  service.lifecycle.exitOnSignals();
  try {
    await service.lifecycle.start();
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message } }, 'start failed');
    process.exitCode = 1;
    return;
  }
  logger.info({ instance: config.instanceId, port: service.ops.port, adminApi: config.adminToken !== undefined }, 'shredder running');
}
