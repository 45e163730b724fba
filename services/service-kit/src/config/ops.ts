import { integer, invalid, type Env } from './read';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What every process has: its log level, the ops HTTP server, the stop deadline. */
export interface OpsSection {
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly httpHost: string;
  readonly httpPort: number;
  readonly stopDeadlineMs: number;
}

export function readOpsSection(env: Env, defaults: { logLevel?: OpsSection['logLevel'] }): OpsSection {
  const logLevel = (env.AMPSEAL_LOG_LEVEL?.trim() || defaults.logLevel || 'info') as OpsSection['logLevel'];
  if (!LEVELS.includes(logLevel)) invalid('AMPSEAL_LOG_LEVEL', `one of ${LEVELS.join(', ')}`);
  return {
    logLevel,
    httpHost: env.AMPSEAL_HTTP_HOST?.trim() || '0.0.0.0',
    httpPort: integer(env, 'AMPSEAL_HTTP_PORT', 9464, 0, 65_535),
    stopDeadlineMs: integer(env, 'AMPSEAL_STOP_DEADLINE_MS', 20_000, 1_000, 600_000),
  };
}
