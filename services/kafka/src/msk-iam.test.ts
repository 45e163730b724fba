import { mskIamToken } from './msk-iam';

// Configured-only: no MSK cluster is reachable from CI. These check the token's form against what the MSK
// documentation states (a pre-signed kafka-cluster:Connect request, 900 s, base64url without padding).
describe('MSK IAM token', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+1' };
  const at = new Date('2026-11-29T12:00:00Z');

  it('is a base64url SigV4 pre-signed kafka-cluster:Connect URL for the region, valid 900 s', async () => {
    const token = await mskIamToken('eu-central-1', credentials, at);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(token, 'base64url').toString());
    expect(url.host).toBe('kafka.eu-central-1.amazonaws.com');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('kafka-cluster:Connect');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261129/eu-central-1/kafka-cluster/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20261129T120000Z');
    expect(q.get('X-Amz-Expires')).toBe('900');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host');
    expect(q.get('X-Amz-Security-Token')).toBe('session/token+1');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.get('User-Agent')).toBe('ampseal');
  });

  it('signs deterministically: the same credentials and time give the same token, another secret another one', async () => {
    const a = await mskIamToken('eu-central-1', credentials, at);
    expect(await mskIamToken('eu-central-1', credentials, at)).toBe(a);
    expect(await mskIamToken('eu-central-1', { ...credentials, secretAccessKey: 'other' }, at)).not.toBe(a);
  });
});
