import { loadConfig, type Config } from './config';
import type { Lifecycle } from '@ampseal/foundation';
import { createLogger, type Logger } from './logger';
import type { OpsServer } from './ops-server';

/**
 * `ampseal run <service>`: configuration, the root logger, signal handling, start. The process then lives
 * until SIGTERM/SIGINT, drains, and exits 0 only on a clean stop; a failed start exits 1.
 */
export async function runService(
  name: string,
  env: NodeJS.ProcessEnv,
  create: (config: Config, logger: Logger) => { readonly lifecycle: Lifecycle; readonly ops: OpsServer },
  defaults: { groupId?: string } = {},
): Promise<void> {
  const config = loadConfig(env, defaults);
  const logger = createLogger({ level: config.logLevel, name });
  const service = create(config, logger);
  service.lifecycle.exitOnSignals();
  try {
    await service.lifecycle.start();
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message } }, 'start failed');
    process.exitCode = 1;
    return;
  }
  logger.info({ instance: config.instanceId, port: service.ops.port, groupId: config.groupId }, `${name} running`);
}
