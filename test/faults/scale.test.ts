import { setTimeout as sleep } from 'node:timers/promises';
import { faultPipeline, phaseLog, reportFault, tallyOutputs } from '../harness/exactly-once';
import { produce } from '../harness/kafka';
import { indexedStart } from '../harness/pipeline';
import { exitOf, freePort, logTail, metricValue, spawnService, waitForReady, type ServiceProcess } from '../harness/processes';
import { useResources } from '../harness/resources';

/**
 * Three services on the 2-core box, four rebalances (two joins, the zombie's session running out, two leaves),
 * 6,000 events.
 */
useResources({ budgetMs: 180_000 });

const TOTAL = 6_000;
const PARTITIONS = 3;
/** Progress points (committed input) at which the group changes; the input is produced only up to each plus SLACK. */
const SCALE_OUT_AT = 1_000;
const ZOMBIE_AT = 2_500;
const SCALE_IN_AT = 4_000;
const SLACK = 300;
const SESSION_TIMEOUT_MS = 6_000;

const note = phaseLog('scale');

interface Instance {
  readonly name: string;
  readonly port: number;
  readonly child: ServiceProcess;
}

describe('fault matrix: scale-out and scale-in under load, a zombie fenced', () => {
  it('one instance, then three, then one, with a paused member whose partitions moved resumed as a zombie: nothing lost, nothing duplicated, nothing of the zombie visible', async () => {
    const { env: base, topics, kafka, progress } = faultPipeline('scale', {
      AMPSEAL_TOPIC_PARTITIONS: String(PARTITIONS),
      AMPSEAL_MAX_RECORDS_PER_TRANSACTION: '20',
      AMPSEAL_KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    });
    const inputs = Array.from({ length: TOTAL }, (_, i) => indexedStart(i));
    let produced = 0;
    const produceUpTo = async (n: number) => {
      if (n <= produced) return;
      await produce(kafka, topics.input, inputs.slice(produced, n));
      produced = n;
    };
    const start = async (name: string): Promise<Instance> => {
      const port = freePort();
      const child = spawnService('pseudonymizer', { ...base, AMPSEAL_HTTP_PORT: String(port), AMPSEAL_INSTANCE_ID: `${name}-${port}` });
      child.once('exit', (code, signal) => note(`${name} exited (${code ?? signal})`));
      await waitForReady(child, port);
      return { name, port, child };
    };
    /**
     * Traffic flowing while the group changes: ten records every 100 ms (at most `cap` in all) until `done` holds, so
     * a member that joins finds work whatever the machine's speed, and the input is never far ahead of the group.
     */
    const feedUntil = async (done: () => Promise<boolean>, cap: number) => {
      while (!(await done())) {
        if (produced < cap) await produceUpTo(Math.min(cap, produced + 10));
        await sleep(100);
      }
    };
    const transactions = async (i: Instance) => (await metricValue(i.port, 'ampseal_transaction_seconds_count')) ?? 0;
    /** `instance` has committed a transaction more than `than` (it holds a partition and works it). */
    const working = async (instance: Instance, than = 0) => (await transactions(instance)) > than;

    // One instance creates the topics and starts alone.
    const a = await start('a');
    await produceUpTo(SCALE_OUT_AT + SLACK);
    await progress.reach(SCALE_OUT_AT);
    note('scale-out to three');

    // Scale-out: two more join the group under load; each gets one of the three partitions.
    const [b, c] = await Promise.all([start('b'), start('c')]);
    await feedUntil(async () => (await working(b)) && (await working(c)), ZOMBIE_AT + SLACK);
    await produceUpTo(ZOMBIE_AT + SLACK);
    const atZombie = await progress.reach(ZOMBIE_AT);
    note(`three instances working, ${atZombie} committed`);

    // The zombie: b frozen mid-stream. Its partition moves once its session runs out; whoever takes it begins the
    // partition's transactional id again, which fences b's producer and aborts b's open transaction.
    const bTransactionsAtStop = await transactions(b);
    b.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const endsAtStop = await progress.ends();
    // Every partition, b's included, committed past its end at the stop: someone else works b's partition now.
    await feedUntil(async () => {
      const committed = await progress.perPartition().catch(() => new Map<number, number>());
      return [...endsAtStop].every(([p, end]) => (committed.get(p) ?? 0) > end);
    }, SCALE_IN_AT + SLACK);
    const takeoverMs = Date.now() - stoppedAt;
    note(`b's partition taken over ${takeoverMs} ms after SIGSTOP; resuming b`);
    b.child.kill('SIGCONT');
    // The zombie either stops for good (its commit refused as fenced: exit 1, the orchestrator starts a fresh one) or
    // notices it lost the partition, drops that producer and rejoins as a new member and works again: wait for one or
    // the other. Working again means several transactions more than before the freeze (the count was read just
    // before SIGSTOP, so one committed in between must not pass for a rejoin).
    await feedUntil(async () => b.child.exitCode !== null || (await working(b, bTransactionsAtStop + 5)), SCALE_IN_AT + SLACK);
    const zombie = b.child.exitCode !== null ? `exited ${b.child.exitCode}` : 'rejoined';
    note(`zombie ${zombie}`);
    await produceUpTo(SCALE_IN_AT + SLACK);
    await progress.reach(SCALE_IN_AT);

    // Scale-in under load: b (if alive) and c leave while the rest of the input is written; a finishes alone.
    const feedingIn = produceUpTo(TOTAL);
    const leaving = await Promise.all(
      [b, c].map(async (i) => {
        if (i.child.exitCode === null) i.child.kill('SIGTERM');
        return { name: i.name, exit: await exitOf(i.child) };
      }),
    );
    note(`scale-in: ${JSON.stringify(leaving)}`);
    const zombieLog = b.child.output.join('');
    await feedingIn;
    const scaledInAt = Date.now();
    await progress.reach(TOTAL);
    const finishMs = Date.now() - scaledInAt;
    expect(a.child.exitCode).toBeNull();
    a.child.kill('SIGTERM');
    expect(await exitOf(a.child)).toEqual({ code: 0, signal: null });

    const tally = await tallyOutputs(kafka, topics, progress);
    reportFault({ case: 'scale 1 → 3 → 1 with a SIGSTOP zombie', events: tally.events, lost: tally.lost.length, duplicated: tally.duplicated.length, resumeMs: takeoverMs, zombie, finishAloneMs: finishMs, leaving });
    expect(tally.events).toBe(TOTAL);
    expect({ lost: tally.lost, duplicated: tally.duplicated }).toEqual({ lost: [], duplicated: [] });
    expect(tally.analytics.map((e) => e.meterWh).sort((x, y) => x - y)).toEqual(inputs.map((_, i) => i));
    // c left cleanly; the zombie either left cleanly too or stopped on its fenced producer (exit 1, policy `stop`).
    const cExit = leaving.find((l) => l.name === 'c')!.exit;
    expect({ exit: cExit, log: cExit.code === 0 ? '' : logTail(c.child, 30) }).toEqual({ exit: { code: 0, signal: null }, log: '' });
    const bExit = leaving.find((l) => l.name === 'b')!.exit;
    if (bExit.code !== 0) expect([bExit, zombieLog.includes('"reason":"producer_fenced"')]).toEqual([{ code: 1, signal: null }, true]);
  });
});
