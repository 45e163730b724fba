import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/**
 * Amazon MSK IAM authentication over SASL OAUTHBEARER. The token is a SigV4 pre-signed request
 * `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect` (signing name `kafka-cluster`, valid
 * 900 s), with a `User-Agent` query parameter added after signing, base64url-encoded without padding. These are
 * the facts the MSK documentation and AWS's signer libraries (aws/aws-msk-iam-sasl-signer-js, Apache-2.0) state;
 * the signing is the AWS SDK's own SigV4 implementation, the credentials its default chain (environment, web
 * identity for EKS service accounts, ECS/EC2 instance roles, profiles).
 */
const SIGNING_NAME = 'kafka-cluster';
const TOKEN_LIFETIME_S = 900;
const USER_AGENT = 'ampseal';

/** SigV4's hash: SHA-256, or HMAC-SHA-256 when given a key (the SDK's `HashConstructor` shape). */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: SourceData): Buffer | string {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

let chain: AwsCredentialIdentityProvider | undefined;

/** A fresh token; `credentials` and `now` are for tests (the default is the AWS chain and the clock). */
export async function mskIamToken(region: string, credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider, now = new Date()): Promise<string> {
  const hostname = `kafka.${region}.amazonaws.com`;
  const signer = new SignatureV4({ service: SIGNING_NAME, region, credentials: credentials ?? (chain ??= defaultProvider()), sha256: Sha256, applyChecksum: false });
  const signed = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname, path: '/', query: { Action: 'kafka-cluster:Connect' }, headers: { host: hostname } },
    { expiresIn: TOKEN_LIFETIME_S, signingDate: now },
  );
  const url = new URL(`https://${hostname}/`);
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== null && v !== undefined) url.searchParams.append(name, v);
  }
  url.searchParams.append('User-Agent', USER_AGENT);
  return Buffer.from(url.toString()).toString('base64url');
}
