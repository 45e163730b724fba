import type { Subject } from './identifiers';

/**
 * What the transform needs from a key ring: the token outcome of each subject of a batch, in one call
 * (design §4: Redis round trips are batched per consumed batch, not per event).
 */
export type TokenStatus = 'TOKENIZED' | 'ERASED' | 'RESTRICTED';

export type TokenOutcome =
  | { readonly status: 'TOKENIZED'; readonly token: string }
  | { readonly status: 'ERASED' }
  | { readonly status: 'RESTRICTED' };

export interface TokenRequest {
  readonly subject: Subject;
  /**
   * Event time (epoch ms) of the record that carries the identifier. Replay safety (design §5): a subject
   * erased at `erasedAt` gets no token for events at or before it, and a fresh generation after it.
   */
  readonly at: number;
}

export interface TokenSource {
  /** Outcomes in the order of `requests`. Rejects with a retriable AmpsealError when a store is down. */
  tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]>;
}
