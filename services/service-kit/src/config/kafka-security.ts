import type { KafkaSasl, KafkaSecurity, KafkaTls, RegistryConnection } from '@ampseal/kafka';
import { flag, invalid, isLoopback, pemFile, secret, type Env } from './read';

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer', 'aws-msk-iam'] as const;

/**
 * TLS and SASL towards Kafka (README "Configuration", "Connecting to a managed Kafka"). Identifiers cross this
 * connection, so plaintext is refused unless every broker is on the loopback or AMPSEAL_KAFKA_ALLOW_PLAINTEXT says
 * the operator accepts it (a sidecar proxy, a private test network).
 */
export function readKafkaSecurity(env: Env, brokers: readonly string[]): KafkaSecurity {
  const tls = readTls(env);
  const sasl = readSasl(env);
  const allowPlaintext = flag(env, 'AMPSEAL_KAFKA_ALLOW_PLAINTEXT', false);
  if (!tls && !allowPlaintext && !brokers.every((b) => isLoopback(b.slice(0, b.lastIndexOf(':'))))) {
    invalid('AMPSEAL_KAFKA_SSL', 'true for brokers outside the loopback (or AMPSEAL_KAFKA_ALLOW_PLAINTEXT=true to send data unencrypted)');
  }
  // MSK accepts IAM only on its TLS listener; signing a token to send it in clear would hand it to anyone listening.
  if (sasl?.mechanism === 'aws-msk-iam' && !tls) invalid('AMPSEAL_KAFKA_SSL', 'true with AMPSEAL_KAFKA_SASL_MECHANISM=aws-msk-iam');
  return Object.freeze({ ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) });
}

function readTls(env: Env): KafkaTls | undefined {
  const on = flag(env, 'AMPSEAL_KAFKA_SSL', false);
  const files = ['AMPSEAL_KAFKA_SSL_CA_FILE', 'AMPSEAL_KAFKA_SSL_CERT_FILE', 'AMPSEAL_KAFKA_SSL_KEY_FILE'].filter((v) => env[v]?.trim());
  if (!on) {
    // A CA or certificate given with TLS off is a half-done configuration, not a wish for plaintext.
    if (files.length > 0) invalid('AMPSEAL_KAFKA_SSL', `true when ${files[0]} is set`);
    return undefined;
  }
  const ca = pemFile(env, 'AMPSEAL_KAFKA_SSL_CA_FILE', 'CERTIFICATE');
  const cert = pemFile(env, 'AMPSEAL_KAFKA_SSL_CERT_FILE', 'CERTIFICATE');
  const key = pemFile(env, 'AMPSEAL_KAFKA_SSL_KEY_FILE', 'PRIVATE KEY');
  if ((cert === undefined) !== (key === undefined)) {
    invalid(cert === undefined ? 'AMPSEAL_KAFKA_SSL_CERT_FILE' : 'AMPSEAL_KAFKA_SSL_KEY_FILE', 'set together with its pair (client certificate and key, for mTLS)');
  }
  return Object.freeze({ ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}) });
}

function readSasl(env: Env): KafkaSasl | undefined {
  const raw = env.AMPSEAL_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  if (!raw || raw === 'none') return undefined;
  const mechanism = MECHANISMS.find((m) => m === raw);
  if (!mechanism) return invalid('AMPSEAL_KAFKA_SASL_MECHANISM', `one of none, ${MECHANISMS.join(', ')}`);
  switch (mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512': {
      const username = env.AMPSEAL_KAFKA_SASL_USERNAME?.trim();
      if (!username) invalid('AMPSEAL_KAFKA_SASL_USERNAME', `set with AMPSEAL_KAFKA_SASL_MECHANISM=${mechanism}`);
      const password = secret(env, 'AMPSEAL_KAFKA_SASL_PASSWORD');
      if (password === undefined) invalid('AMPSEAL_KAFKA_SASL_PASSWORD', `set (or AMPSEAL_KAFKA_SASL_PASSWORD_FILE) with AMPSEAL_KAFKA_SASL_MECHANISM=${mechanism}`);
      return Object.freeze({ mechanism, username, password });
    }
    case 'oauthbearer': {
      const tokenFile = env.AMPSEAL_KAFKA_OAUTH_TOKEN_FILE?.trim();
      const tokenCommand = env.AMPSEAL_KAFKA_OAUTH_TOKEN_COMMAND?.trim();
      if (!tokenFile === !tokenCommand) {
        invalid('AMPSEAL_KAFKA_OAUTH_TOKEN_FILE', 'set, or AMPSEAL_KAFKA_OAUTH_TOKEN_COMMAND instead (exactly one), with AMPSEAL_KAFKA_SASL_MECHANISM=oauthbearer');
      }
      return Object.freeze(tokenFile ? { mechanism, tokenFile } : { mechanism, tokenCommand: tokenCommand! });
    }
    case 'aws-msk-iam': {
      const region = env.AMPSEAL_KAFKA_AWS_REGION?.trim();
      if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) invalid('AMPSEAL_KAFKA_AWS_REGION', "the MSK cluster's AWS region, such as eu-central-1");
      return Object.freeze({ mechanism, region });
    }
  }
}

/**
 * The schema registry: basic auth (username and password) or a bearer token, and its https CA. Credentials and the
 * schema's traffic are refused over plain http outside the loopback unless AMPSEAL_SCHEMA_REGISTRY_ALLOW_PLAINTEXT.
 */
export function readRegistryConnection(env: Env, url: string): RegistryConnection {
  const username = env.AMPSEAL_SCHEMA_REGISTRY_USERNAME?.trim();
  const password = secret(env, 'AMPSEAL_SCHEMA_REGISTRY_PASSWORD');
  const token = secret(env, 'AMPSEAL_SCHEMA_REGISTRY_TOKEN');
  if (token !== undefined && (username || password !== undefined)) invalid('AMPSEAL_SCHEMA_REGISTRY_TOKEN', 'set alone: a bearer token or a username and password, not both');
  if (!username !== (password === undefined)) invalid(username ? 'AMPSEAL_SCHEMA_REGISTRY_PASSWORD' : 'AMPSEAL_SCHEMA_REGISTRY_USERNAME', 'set together with its pair');
  const parsed = new URL(url);
  const https = parsed.protocol === 'https:';
  const ca = pemFile(env, 'AMPSEAL_SCHEMA_REGISTRY_CA_FILE', 'CERTIFICATE');
  if (ca && !https) invalid('AMPSEAL_SCHEMA_REGISTRY_URL', 'an https URL when AMPSEAL_SCHEMA_REGISTRY_CA_FILE is set');
  if (!https && !isLoopback(parsed.hostname) && !flag(env, 'AMPSEAL_SCHEMA_REGISTRY_ALLOW_PLAINTEXT', false)) {
    invalid('AMPSEAL_SCHEMA_REGISTRY_URL', 'an https URL outside the loopback (or AMPSEAL_SCHEMA_REGISTRY_ALLOW_PLAINTEXT=true)');
  }
  const auth = token !== undefined ? { token } : username ? { username, password: password! } : undefined;
  return Object.freeze({ url, ...(auth ? { auth: Object.freeze(auth) } : {}), ...(ca ? { ca } : {}) });
}
