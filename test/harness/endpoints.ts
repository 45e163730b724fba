/**
 * Where the real services are. Global set-up decides once per run (environment, testcontainers or the
 * native stack) and publishes the answer as AMPSEAL_* variables; every test reads them from here.
 */
export interface Endpoints {
  readonly kafkaBrokers: string[];
  readonly schemaRegistryUrl: string;
  readonly redisUrl: string;
  readonly kmsEndpoint: string;
  readonly kmsRegion: string;
}

export const ENDPOINT_VARIABLES = [
  'AMPSEAL_KAFKA_BROKERS',
  'AMPSEAL_SCHEMA_REGISTRY_URL',
  'AMPSEAL_REDIS_URL',
  'AMPSEAL_KMS_ENDPOINT',
] as const;

export function endpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const missing = ENDPOINT_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`test endpoints not set (${missing.join(', ')}): run the tests through jest's global set-up`);
  }
  return Object.freeze({
    kafkaBrokers: env.AMPSEAL_KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    schemaRegistryUrl: env.AMPSEAL_SCHEMA_REGISTRY_URL!,
    redisUrl: env.AMPSEAL_REDIS_URL!,
    kmsEndpoint: env.AMPSEAL_KMS_ENDPOINT!,
    kmsRegion: env.AMPSEAL_KMS_REGION ?? 'eu-central-1',
  });
}
