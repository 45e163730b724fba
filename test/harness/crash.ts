import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClient } from '@ampseal/kafka';
import { GroupProgress, produce } from './kafka';
import { exitOf, spawnService, waitForHttp, type Exit } from './processes';

export interface CrashRunOptions {
  /** The pseudonymizer's environment (pipelineEnv): its HTTP port must be fixed, the first start waits for /healthz. */
  readonly env: Record<string, string>;
  readonly kafka: KafkaClient;
  /** The raw topic the inputs go to, and the group's progress on it. */
  readonly topic: string;
  readonly progress: GroupProgress;
  readonly inputs: ReadonlyArray<{ key: string; value: string }>;
  readonly kills: number;
  /** Records produced beyond the next kill point: work in flight (several transactions) when the kill lands. */
  readonly slack: number;
}

export interface CrashRun {
  /** Committed input read just before each kill. */
  readonly atKill: readonly number[];
  /** Produced but not yet committed when each kill landed: an upper bound on what that kill can make the next instance write again. */
  readonly inFlight: readonly number[];
  /** How the last instance stopped on SIGTERM once every input was committed. */
  readonly finalExit: Exit;
}


/**
 * Kill points, as counts of committed input: evenly from 10 % to 85 %. The input is produced only up to the next
 * point plus the slack, so the service can never commit past a point unseen, whatever the machine's speed, and
 * every kill lands with between 10 % and 90 % of the input committed.
 */
export function killPoints(total: number, kills: number): number[] {
  return Array.from({ length: kills }, (_, k) => Math.round(total * (0.1 + (kills > 1 ? (0.75 * k) / (kills - 1) : 0))));
}

/**
 * Runs a pseudonymizer as a child process and kills it with SIGKILL at each progress point (read from the group's
 * committed offsets, never after a guessed time), starting a fresh instance after each kill; then produces the
 * rest of the input, waits until all of it is committed and stops the last instance with SIGTERM. The caller
 * judges the outputs (tallyOutputs): nothing writes them any more when this resolves.
 */
export async function crashRepeatedly(options: CrashRunOptions): Promise<CrashRun> {
  const { env, kafka, topic, progress, inputs, kills, slack } = options;
  const total = inputs.length;
  let produced = 0;
  const produceUpTo = async (n: number) => {
    if (n <= produced) return;
    await produce(kafka, topic, inputs.slice(produced, n));
    produced = n;
  };

  // The first start creates the topics (spawnService registers every child for clean-up as it spawns).
  let child = spawnService('pseudonymizer', env);
  // A child that exits first (its port taken, a bad setting) fails the run at once, with what it said.
  const first = child;
  const early = exitOf(first).then((exit) => {
    throw new Error(`the pseudonymizer exited before answering /healthz: ${JSON.stringify(exit)}\n${first.output.join('')}`);
  });
  early.catch(() => undefined);
  await Promise.race([waitForHttp(`http://127.0.0.1:${env.AMPSEAL_HTTP_PORT}/healthz`), early]);

  const atKill: number[] = [];
  const inFlight: number[] = [];
  for (const point of killPoints(total, kills)) {
    // A point already passed (it cannot be, given the slicing; kept so a change there cannot make the
    // test depend on speed) is skipped: the next one is awaited instead.
    if (atKill.length > 0 && atKill[atKill.length - 1]! >= point) continue;
    await produceUpTo(Math.min(total, point + slack));
    let committed = await progress.committed();
    while (committed < point) {
      await sleep(20);
      committed = await progress.committed();
    }
    child.kill('SIGKILL');
    const exit = await exitOf(child);
    if (exit.signal !== 'SIGKILL') throw new Error(`the pseudonymizer exited by itself before the kill: ${JSON.stringify(exit)}\n${child.output.join('')}`);
    atKill.push(committed);
    inFlight.push(produced - committed);
    child = spawnService('pseudonymizer', env);
  }

  // The rest of the input; the last instance finishes it and stops cleanly on SIGTERM.
  await produceUpTo(total);
  while ((await progress.committed()) < total) await sleep(100);
  child.kill('SIGTERM');
  return { atKill, inFlight, finalExit: await exitOf(child) };
}
