import { AmpsealError, epochBounds, epochExpired, epochsReceiptKey, expiredEpochNames, parseEpochName, type CompiledPolicy, type EpochsReceipt } from '@ampseal/core';
import type { Component, Logger } from '@ampseal/foundation';
import type { OutputRecord } from '@ampseal/kafka';
import { epochJournalKey, type EpochDestructionRecord, type KeyRing } from '@ampseal/keyring';

/** One stored epoch of a tenant with a linkability window, as `ampseal epochs list` and the console show it (K48). */
export interface EpochRow {
  readonly tenant: string;
  readonly epoch: string;
  readonly start: string;
  readonly end: string;
  readonly state: 'live' | 'expired' | 'destroyed';
  readonly destroyedAt: string | null;
}

/** The policy's tenants with a linkability window (all, or `only`), each with its retention. */
export function epochTenants(policy: CompiledPolicy, only?: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [tenant, settings] of policy.tenants) {
    if (settings.linkability !== undefined && (only === undefined || tenant === only)) out.push([tenant, settings.linkability.retentionMs]);
  }
  return out;
}

/**
 * The stored epochs of the given tenants with their state at `now`: `expired` once older than the retention and not yet
 * destroyed (what the next `destroy-expired` takes), sorted by tenant then start.
 */
export async function listEpochs(keyring: Pick<KeyRing, 'epochs'>, tenants: ReadonlyArray<[string, number]>, now: number): Promise<EpochRow[]> {
  const rows: EpochRow[] = [];
  for (const [tenant, retentionMs] of tenants) {
    for (const stored of await keyring.epochs(tenant)) {
      const parsed = parseEpochName(stored.name);
      if (parsed === undefined) continue;
      const { start, end } = epochBounds(parsed.epoch, parsed.windowMs);
      rows.push({
        tenant,
        epoch: stored.name,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        state: stored.destroyedAt !== null ? 'destroyed' : epochExpired(parsed.epoch, parsed.windowMs, retentionMs, now) ? 'expired' : 'live',
        destroyedAt: stored.destroyedAt === null ? null : new Date(stored.destroyedAt).toISOString(),
      });
    }
  }
  return rows.sort((a, b) => (a.tenant === b.tenant ? a.start.localeCompare(b.start) : a.tenant.localeCompare(b.tenant)));
}

/**
 * Destroying expired epochs (keyring SPEC K48, K50): per tenant whose policy sets a linkability window, the live stored
 * epochs older than the retention are journaled first (the tombstone journal, so `ampseal keyring reapply-tombstones`
 * destroys them again after a Redis restore), then destroyed in Redis, then reported: the audit log, and a receipt on
 * the receipts topic that is also returned. Used by `ampseal epochs destroy-expired` and by the shredder's schedule.
 */
export interface DestroyExpiredOptions {
  readonly keyring: KeyRing;
  readonly policy: CompiledPolicy;
  /** Writes records (acks=all) and resolves once the brokers have them: the journal's, then the receipts. */
  readonly send: (records: readonly OutputRecord[]) => Promise<unknown>;
  readonly tombstonesTopic: string;
  /** The receipts topic (privacy.erasure.events.v1): one EpochsReceipt per tenant with epochs destroyed. */
  readonly receiptsTopic: string;
  readonly logger: Logger;
  /** Only this tenant (it must have a linkability window). */
  readonly tenant?: string;
  readonly now: number;
}

export async function destroyExpiredEpochs(options: DestroyExpiredOptions): Promise<EpochsReceipt[]> {
  const { keyring, policy, now } = options;
  const tenants = [...policy.tenants].filter(([tenant, p]) => p.linkability !== undefined && (options.tenant === undefined || tenant === options.tenant));
  if (options.tenant !== undefined && tenants.length === 0) {
    throw new AmpsealError('CONFIG_INVALID', `tenant ${options.tenant} has no linkability window in the policy (tenants.<tenant>.linkability)`);
  }
  const audit = options.logger.child({ component: 'audit' });
  const receipts: EpochsReceipt[] = [];
  for (const [tenant, settings] of tenants) {
    const { retention, retentionMs } = settings.linkability!;
    const names = expiredEpochNames(await keyring.epochs(tenant), retentionMs, now);
    if (names.length === 0) continue;
    // K50: the journal first. A destruction that is journaled but not done yet is done by the next run or a restore;
    // one done but not journaled would come back with a Redis backup.
    const records: EpochDestructionRecord[] = names.map((epoch) => ({ kind: 'epoch', tenant, epoch, destroyedAt: now }));
    await options.send(records.map((r) => ({ topic: options.tombstonesTopic, key: epochJournalKey(r), value: JSON.stringify(r) })));
    const done = await keyring.destroyEpochs(tenant, names, now);
    const receipt: EpochsReceipt = { version: 1, kind: 'epochs', tenant, destroyed: names, destroyedAt: new Date(now).toISOString(), retention };
    const { version: _v, kind: _k, ...fields } = receipt;
    audit.info({ event: 'epochs.destroyed', ...fields, newlyDestroyed: done.destroyed.length }, 'expired epochs destroyed');
    await options.send([{ topic: options.receiptsTopic, key: epochsReceiptKey(tenant), value: JSON.stringify(receipt) }]);
    receipts.push(receipt);
  }
  return receipts;
}

/** The shredder's schedule (K48): destroy-expired every `intervalMs`, first one interval after start. */
export class EpochSchedule implements Component {
  readonly name = 'epoch-schedule';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: () => Promise<EpochsReceipt[]>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      if (this.running !== undefined) return; // a slow run is not stacked
      this.running = this.run()
        .then(
          () => undefined,
          (err: unknown) => {
            // Retried at the next tick; the epoch stays EXPIRED for every event meanwhile (K46), so nothing leaks.
            const reason = err instanceof AmpsealError ? err.reason : 'internal';
            this.logger.warn({ event: 'epochs.destroy_failed', reason }, 'destroying expired epochs failed; retried at the next interval');
          },
        )
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
