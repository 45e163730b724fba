import { createHmac } from 'node:crypto';
import type { TokenOutcome, TokenRequest, TokenSource } from '../tokens';

/**
 * A deterministic TokenSource for pure unit tests of the transform (the real key rings live in
 * @ampseal/keyring and are tested there against Redis and KMS). Counts calls so tests can prove batching.
 */
export class FixedKeyTokenSource implements TokenSource {
  calls = 0;
  requests = 0;
  readonly erased = new Map<string, number>();

  async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    this.calls++;
    this.requests += requests.length;
    return requests.map(({ subject, at }) => {
      const erasedAt = this.erased.get(`${subject.kind}:${subject.value}`);
      if (erasedAt !== undefined && at <= erasedAt) return { status: 'ERASED' } as const;
      const mac = createHmac('sha256', 'unit-test-key').update(`${subject.tenant}\0${subject.kind}\0${subject.value}`);
      return { status: 'TOKENIZED', token: mac.digest().subarray(0, 16).toString('base64url') } as const;
    });
  }
}
