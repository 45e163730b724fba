import type { SubjectReceipt } from '@ampseal/core';

export type RequestStatus =
  | { readonly requestId: string; readonly status: 'pending'; readonly requestedAt: string }
  | ({ readonly requestId: string } & Omit<SubjectReceipt, 'retiredTokens' | 'affectedTokens'> & { readonly tokenCount: number });

/**
 * What the admin API answers about a request: receipts read back from the receipts topic (every shredder
 * instance reads them all, so any instance can answer), and requests this instance accepted but that have no
 * receipt yet. Bounded: the oldest entries go first.
 */
export class StatusIndex {
  private readonly entries = new Map<string, RequestStatus>();

  constructor(private readonly capacity = 100_000) {}

  pending(requestId: string, requestedAt: string): void {
    if (!this.entries.has(requestId)) this.put({ requestId, status: 'pending', requestedAt });
  }

  receipt(receipt: SubjectReceipt): void {
    const { retiredTokens, affectedTokens, ...rest } = receipt;
    this.put({ ...rest, tokenCount: (retiredTokens ?? affectedTokens ?? []).length });
  }

  get(requestId: string): RequestStatus | undefined {
    return this.entries.get(requestId);
  }

  private put(status: RequestStatus): void {
    this.entries.delete(status.requestId);
    this.entries.set(status.requestId, status);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
