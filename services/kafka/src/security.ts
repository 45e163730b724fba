import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { KafkaJSSASLAuthenticationError, type KafkaConfig, type OauthbearerProviderResponse, type SASLOptions } from 'kafkajs';
import { mskIamToken } from './msk-iam';

/**
 * How the client proves who it is and checks who it talks to. The values are already validated (the service kit's
 * configuration reads and checks them once at start); this module only turns them into the client's settings.
 */
export interface KafkaSecurity {
  /** TLS on every broker connection. Absent: plaintext (the configuration allows that only for the loopback). */
  readonly tls?: KafkaTls;
  readonly sasl?: KafkaSasl;
}

export interface KafkaTls {
  /** PEM bundle of the CA(s) the brokers' certificates must chain to; absent: Node's built-in public CAs. */
  readonly ca?: string;
  /** Client certificate and key (PEM), for brokers that authenticate clients by certificate (mTLS). */
  readonly cert?: string;
  readonly key?: string;
}

export type KafkaSasl =
  | { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
  /** OAUTHBEARER with a token an identity provider issued: read from a file (re-read each login) or printed by a command. */
  | { readonly mechanism: 'oauthbearer'; readonly tokenFile: string; readonly tokenCommand?: undefined }
  | { readonly mechanism: 'oauthbearer'; readonly tokenCommand: string; readonly tokenFile?: undefined }
  /** Amazon MSK IAM: OAUTHBEARER with a SigV4-signed token from the AWS default credential chain. */
  | { readonly mechanism: 'aws-msk-iam'; readonly region: string };

const run = promisify(execFile);
// kafkajs' type declares no constructor argument; its code takes the message as every error class does.
const LoginError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const COMMAND_TIMEOUT_MS = 10_000;

/**
 * kafkajs asks for a token at every login (a new broker connection, a re-authentication). A token file is re-read
 * each time, so a sidecar or a Kubernetes projected token that rotates it is picked up without a restart.
 */
async function oauthToken(sasl: Extract<KafkaSasl, { mechanism: 'oauthbearer' }>): Promise<OauthbearerProviderResponse> {
  let token: string;
  try {
    if (sasl.tokenFile !== undefined) {
      token = (await readFile(sasl.tokenFile, 'utf8')).trim();
    } else {
      // Through the shell on purpose: the operator writes a command line (`vault read -field=token …`).
      const { stdout } = await run('/bin/sh', ['-c', sasl.tokenCommand], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 });
      token = stdout.trim();
    }
  } catch (err) {
    // kafkajs' own login error, so the failure policy classifies it like a refused login (AUTHENTICATION_FAILED, not
    // retried). The command's output and the file's content are never quoted: they are the secret.
    throw new LoginError(`SASL OAUTHBEARER: token ${sasl.tokenFile !== undefined ? 'file could not be read' : 'command failed'} (${(err as Error | undefined)?.name ?? 'error'})`);
  }
  if (token === '') throw new LoginError('SASL OAUTHBEARER: the token is empty');
  return { value: token };
}

function sasl(sasl: KafkaSasl): SASLOptions {
  switch (sasl.mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512':
      return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
    case 'oauthbearer':
      return { mechanism: 'oauthbearer', oauthBearerProvider: () => oauthToken(sasl) };
    case 'aws-msk-iam':
      return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await mskIamToken(sasl.region) }) };
  }
}

/** The client settings for a security configuration. Hostname verification stays on (Node's default). */
export function securityConfig(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const tls = security?.tls;
  return {
    // kafkajs connects with `servername: host`, so Node checks the certificate's names against the broker address.
    ssl: tls ? { rejectUnauthorized: true, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) } : false,
    ...(security?.sasl ? { sasl: sasl(security.sasl) } : {}),
  };
}
