import type { Config, KeyRingKind } from '@ampseal/service-kit';

/**
 * What a handler thread is built from (its `workerData`): the configuration validated once on the main thread,
 * without the Kafka and registry connections the thread never opens, and the analytics schema id the main thread
 * registered (undefined when the analytics audience is off).
 */
export interface ThreadData {
  readonly index: number;
  readonly keyring: KeyRingKind;
  readonly config: ThreadConfig;
  readonly schemaId: number | undefined;
}

export type ThreadConfig = Omit<Config, 'kafkaSecurity' | 'schemaRegistry'>;

export function threadConfig(config: Config): ThreadConfig {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { kafkaSecurity, schemaRegistry, ...rest } = config;
  return rest;
}
