import { readFileSync } from 'node:fs';

/**
 * CPU per 1,000 events, one definition for every process the benchmark measures (the kafkajs passthrough, the
 * pipeline and the Java peer): the child's user + system time from /proc/<pid>/stat, all its threads (the JIT
 * compilers, the garbage collectors, the client's I/O threads), read when the child is ready and again when the
 * group's committed offsets cover every input, divided by the input records. Start-up before ready counts for
 * none of them.
 */

/**
 * The kernel reports utime/stime in USER_HZ ticks, which the Linux ABI fixes at 100 per second on every
 * architecture Node runs on (sysconf(_SC_CLK_TCK); Node has no binding to ask).
 */
export const TICKS_PER_SECOND = 100;

/**
 * utime + stime, in ticks, of one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may
 * hold spaces and ')' itself, so fields are counted from the last ')': then state is the first, utime the 12th.
 */
export function cpuTicksOfStat(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

/** CPU milliseconds a live process has used so far (Linux). */
export function cpuMsOf(pid: number): number {
  return (cpuTicksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1000) / TICKS_PER_SECOND;
}

/**
 * The local stack's broker process, to measure what each phase costs the broker too (docs/capacity.md: the broker's
 * CPU per event is the next bottleneck after the pipeline's). Read from the stack's pid file (AMPSEAL_STACK_DIR, else
 * `<root>/.stack`) and checked to be a live Kafka process; undefined for a remote or unknown broker.
 */
export function brokerPidOf(root: string, stackDir = process.env.AMPSEAL_STACK_DIR): number | undefined {
  for (const dir of [stackDir, `${root}/.stack`]) {
    if (!dir) continue;
    try {
      const pid = Number(readFileSync(`${dir}/pids/kafka.pid`, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')) return pid;
    } catch {
      // no such file or process: try the next place
    }
  }
  return undefined;
}

/** The broker's CPU over a span, or null when the broker is not a local process (see {@link brokerPidOf}). */
export function brokerCpuSpan(pid: number | undefined): { perThousand(events: number): number | null } {
  const span = pid === undefined ? undefined : cpuSpan(pid);
  return { perThousand: (events) => (span === undefined ? null : (span.ms() * 1000) / events) };
}

/** Starts counting a child's CPU now; `ms()` gives the CPU milliseconds it used since. */
export function cpuSpan(pid: number): { ms(): number } {
  const start = cpuMsOf(pid);
  return { ms: () => cpuMsOf(pid) - start };
}
