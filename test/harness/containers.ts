import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { stackVersions } from './versions';

const ROOT = join(__dirname, '..', '..');

/** True when testcontainers finds a Docker engine that answers (not merely a docker CLI). */
export async function dockerAnswers(): Promise<boolean> {
  try {
    const client = await getContainerRuntimeClient();
    return Boolean(client.info.containerRuntime.serverVersion);
  } catch {
    return false;
  }
}

/**
 * The same versions and host ports as the native stack (infra/versions.env, infra/stack.sh), so a test
 * cannot tell which path started the services.
 */
export async function startContainers(): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const v = stackVersions();
  const seed = execFileSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'kms-seed'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' }).trim();
  const started: StartedTestContainer[] = [];
  const start = async (c: GenericContainer) => {
    const s = await c.start();
    started.push(s);
    return s;
  };
  await start(
    new GenericContainer(`redis:${v.REDIS_VERSION}`)
      .withCommand(['redis-server', '--appendonly', 'yes'])
      .withExposedPorts({ container: 6379, host: 6379 })
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections')),
  );
  await start(
    new GenericContainer('nsmithuk/local-kms:3')
      .withEnvironment({ KMS_REGION: 'eu-central-1', KMS_ACCOUNT_ID: '111122223333' })
      .withCopyFilesToContainer([{ source: seed, target: '/init/seed.yaml' }])
      .withExposedPorts({ container: 8080, host: 4599 })
      .withWaitStrategy(Wait.forLogMessage('Local KMS started')),
  );
  await start(
    new GenericContainer(`apache/kafka:${v.KAFKA_VERSION}`)
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withExposedPorts({ container: 9092, host: 9092 })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)),
  );
  await start(
    new GenericContainer(`apicurio/apicurio-registry:${v.APICURIO_VERSION}`)
      .withExposedPorts({ container: 8080, host: 8081 })
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080)),
  );
  return {
    env: {
      AMPSEAL_KAFKA_BROKERS: '127.0.0.1:9092',
      AMPSEAL_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      AMPSEAL_REDIS_URL: 'redis://127.0.0.1:6379',
      AMPSEAL_KMS_ENDPOINT: 'http://127.0.0.1:4599',
      AMPSEAL_KMS_EMULATOR: 'true',
      AMPSEAL_KMS_REGION: 'eu-central-1',
    },
    stop: async () => {
      for (const c of started.reverse()) await c.stop();
    },
  };
}
