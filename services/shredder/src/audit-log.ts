import type { Logger } from '@ampseal/service-kit';

/** One audited call: who, from where, what, and the outcome. Never an identifier, a token or a form value. */
export interface AuditEntry {
  readonly at: string;
  /** Undefined when the caller was not authenticated. */
  readonly operator: string | undefined;
  readonly remote: string | undefined;
  readonly method: string | undefined;
  /** The route, with a request id replaced by `:id`. */
  readonly route: string;
  readonly status: number;
  readonly requestId?: string;
  readonly tenant?: string;
  readonly action?: string;
  /** How many identifiers the call named (a count, never the values). */
  readonly subjects?: number;
  /** What the console did (sign-in, plan, submit, sign-out); absent for the JSON API. */
  readonly step?: string;
  /** A dependency failed: the error's class name only. */
  readonly err?: { readonly name: string };
}

/**
 * The admin listener's audit trail. Every entry goes to the log (component `audit`, event `admin.call`): that is the
 * durable record, shipped with the logs. The newest entries are also kept here, bounded, for the console's audit page:
 * what this instance served since it started, newest first (an instance's restart starts an empty page, not an
 * empty trail).
 */
export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private next = 0;
  private readonly audit: Logger;

  constructor(
    logger: Logger,
    private readonly capacity = 10_000,
  ) {
    this.audit = logger.child({ component: 'audit' });
  }

  record(entry: Omit<AuditEntry, 'at'>): void {
    const full: AuditEntry = { at: new Date().toISOString(), ...entry };
    this.audit.info({ event: 'admin.call', ...entry }, 'admin call');
    // A ring: the oldest entry is overwritten once the capacity is reached.
    if (this.entries.length < this.capacity) this.entries.push(full);
    else this.entries[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Entries newest first, `size` from `offset`, and how many there are in all. */
  page(offset: number, size: number): { readonly entries: readonly AuditEntry[]; readonly total: number } {
    const total = this.entries.length;
    const out: AuditEntry[] = [];
    for (let i = offset; i < Math.min(total, offset + size); i++) {
      // The newest is just before `next`.
      out.push(this.entries[(this.next - 1 - i + total * 2) % total]!);
    }
    return { entries: out, total };
  }
}
