import { AmpsealError } from '@ampseal/core';
import type { KafkaPort } from './port';
import { BROKER_DEFAULT_REPLICATION, TopicAdmin, type TopicReplication } from './topics';

const MAX_MISSING = 10_000;

export interface TopicDirectoryOptions {
  readonly kafka: KafkaPort;
  /** Create a missing topic on first use; otherwise report it missing. */
  readonly create: boolean;
  readonly partitions: number;
  /** The broker's default unless given. */
  readonly replication?: TopicReplication;
  /** How long a topic found missing is reported missing without asking the broker again. */
  readonly missingTtlMs?: number;
  readonly clock?: () => number;
}

/**
 * Which of a set of topics exist, creating them when allowed: the roaming audience writes to one topic per
 * recipient, named by the data. Asked by the stream handler before it returns a transaction's records, because
 * a produce to a missing topic inside a transaction retries until the broker has it, which would stall the
 * partition for good. Topics once seen are cached (topics are not deleted under a running pipeline); a missing
 * one is re-checked after `missingTtlMs`, so a topic the operator provisions is picked up without a restart.
 */
export class TopicDirectory {
  readonly name = 'topic-directory';
  private readonly known = new Set<string>();
  private readonly missing = new Map<string, number>();
  private readonly admin: TopicAdmin;

  constructor(private readonly options: TopicDirectoryOptions) {
    this.admin = new TopicAdmin(options.kafka);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.admin.stop();
  }

  /** The subset of `topics` that exists (after creating the missing ones when allowed). Throws retriable on a broker failure. */
  async existing(topics: Iterable<string>): Promise<ReadonlySet<string>> {
    const now = (this.options.clock ?? Date.now)();
    const ttl = this.options.missingTtlMs ?? 30_000;
    const unknown = [...new Set(topics)].filter((t) => {
      if (this.known.has(t)) return false;
      const checkedAt = this.missing.get(t);
      return checkedAt === undefined || now - checkedAt >= ttl;
    });
    if (unknown.length > 0) await this.resolve(unknown, now);
    return this.known;
  }

  private async resolve(topics: readonly string[], now: number): Promise<void> {
    try {
      const listed = new Set(await this.admin.list());
      const absent = topics.filter((t) => !listed.has(t));
      if (absent.length > 0 && this.options.create) {
        // Another instance may create them first: ensure() treats "already exists" as success.
        await this.admin.ensure(
          absent.map((topic) => ({ topic, partitions: this.options.partitions })),
          this.options.replication ?? BROKER_DEFAULT_REPLICATION,
        );
        for (const t of absent) listed.add(t);
      }
      for (const t of topics) {
        if (listed.has(t)) {
          this.known.add(t);
          this.missing.delete(t);
        } else {
          // Names come from the data: bound the memory a stream of distinct unknown recipients can take.
          if (this.missing.size >= MAX_MISSING) this.missing.clear();
          this.missing.set(t, now);
        }
      }
    } catch (err) {
      // A broken connection is not kept: the next chunk connects afresh.
      await this.admin.stop().catch(() => undefined);
      throw new AmpsealError('BROKER_UNAVAILABLE', 'listing or creating topics failed', { cause: err });
    }
  }
}
