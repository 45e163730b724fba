import { setTimeout as sleep } from 'node:timers/promises';
import { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { HandlerThreads } from '@ampseal/pseudonymizer';

/**
 * Ports whose connections a test must close: the stack's Kafka brokers and Redis, and any private Redis a
 * test starts. HTTP ports are left out on purpose: Node's global agent keeps idle keep-alive sockets for a
 * few seconds by design, and they hold nothing open for good.
 */
const watchedPorts = new Set<number>();

export function watchPort(port: number): void {
  watchedPorts.add(port);
}

function stackPorts(): number[] {
  const ports: number[] = [];
  for (const b of (process.env.AMPSEAL_KAFKA_BROKERS ?? '').split(',')) {
    const port = Number(b.trim().split(':').pop());
    if (Number.isInteger(port) && port > 0) ports.push(port);
  }
  const redis = process.env.AMPSEAL_REDIS_URL;
  if (redis) ports.push(Number(new URL(redis).port || 6379));
  return ports;
}

function activeHandles(): unknown[] {
  // Node's own list of what keeps the event loop alive (the objects, not only their type names).
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
}

function isLiveChild(h: unknown): h is ChildProcess {
  return h instanceof ChildProcess && h.exitCode === null && h.signalCode === null;
}

function isWatchedSocket(h: unknown, ports: ReadonlySet<number>): h is Socket {
  return h instanceof Socket && !h.destroyed && h.remotePort !== undefined && ports.has(h.remotePort);
}

/** What was open before the file started (an earlier file's leftovers are that file's failure, not ours). */
export function snapshotHandles(): ReadonlySet<unknown> {
  return new Set(activeHandles());
}

function label(h: ChildProcess | Socket): string {
  if (h instanceof ChildProcess) return `child process ${h.spawnargs.slice(0, 4).join(' ')} (pid ${h.pid})`;
  return `connection to port ${h.remotePort}`;
}


/**
 * Child processes still running and connections to the watched ports still open since `baseline`, after
 * a short grace (a disconnect's FIN exchange, an exit being reaped). Each one is killed or destroyed, and
 * described in the returned list.
 */
export async function findLeaks(baseline: ReadonlySet<unknown>, graceMs = 2_000): Promise<string[]> {
  const ports = new Set([...stackPorts(), ...watchedPorts]);
  const leaked = () => activeHandles().filter((h) => !baseline.has(h) && (isLiveChild(h) || isWatchedSocket(h, ports))) as Array<ChildProcess | Socket>;
  const deadline = Date.now() + graceMs;
  let found = leaked();
  while (found.length > 0 && Date.now() < deadline) {
    await sleep(100);
    found = leaked();
  }
  const described = found.map(label);
  for (const h of found) {
    if (h instanceof ChildProcess) h.kill('SIGKILL');
    else h.destroy();
  }
  // Worker threads are not among the process's handles, and their connections are theirs: counted apart.
  const threads = HandlerThreads.running();
  if (threads.count > 0) {
    described.push(`${threads.count} pseudonymizer handler thread(s)`);
    await threads.terminate();
  }
  return described;
}
