import { loadConfig, type Config } from './config';
import type { AmpsealError } from '@ampseal/core';
import type { Lifecycle } from '@ampseal/foundation';
import { createLogger, type Logger } from './logger';
import type { OpsServer } from './ops-server';

/**
 * `ampseal run <service>`: configuration, the root logger, signal handling, start. The process then lives
 * until SIGTERM/SIGINT, drains, and exits 0 only on a clean stop; a failed start exits 1 at once (after the
 * lifecycle stopped what had started). When the service fails
 * for good while running (`failed` settles: fenced, not authorized, the consumer gone), it stops within the stop
 * deadline and exits 1, so the orchestrator starts a fresh instance.
 */
export async function runService(
  name: string,
  env: NodeJS.ProcessEnv,
  create: (config: Config, logger: Logger) => { readonly lifecycle: Lifecycle; readonly ops: OpsServer; readonly failed?: Promise<AmpsealError> },
  defaults: { groupId?: string } = {},
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  const config = loadConfig(env, defaults);
  const logger = createLogger({ level: config.logLevel, name });
  const service = create(config, logger);
  let failed = false;
  // A signal during the stop that follows a failure must not turn the exit code into 0.
  service.lifecycle.exitOnSignals((code) => exit(failed ? 1 : code));
  void service.failed?.then(async (error) => {
    failed = true;
    logger.fatal({ err: { code: error.code, reason: error.reason } }, `${name} failed: stopping, exit 1`);
    await service.lifecycle.stop();
    exit(1);
  });
  try {
    await service.lifecycle.start();
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message } }, 'start failed');
    // The lifecycle has stopped what had started. Exit now rather than set process.exitCode: the CLI's launcher
    // sets the exit code of `run` once it returns (0: the service keeps the process alive), which overwrote this
    // 1, so a start that failed (the registry down, say) exited 0; and a client's leftover timers (ioredis keeps a
    // refused login's command timeouts) must not hold a failed process for seconds.
    exit(1);
    return;
  }
  logger.info({ instance: config.instanceId, port: service.ops.port, groupId: config.groupId }, `${name} running`);
}
