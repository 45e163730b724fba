import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerCpuSpan, brokerPidOf, cpuMsOf, cpuTicksOfStat } from './cpu';

describe('CPU time of a process', () => {
  // A real line of /proc/<pid>/stat (kernel 6.1), with a command name holding a space and a parenthesis.
  const line = '4242 (node worker) x) S 1 4242 4242 0 -1 4194304 5326 0 0 0 731 129 0 0 20 0 11 0 123456 1093632000 24000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0';

  it('adds utime and stime, counting fields from the last parenthesis', () => {
    expect(cpuTicksOfStat(line)).toBe(731 + 129);
  });

  it('refuses a line that is not /proc/<pid>/stat', () => {
    expect(() => cpuTicksOfStat('hello')).toThrow('not a /proc/<pid>/stat line');
    expect(() => cpuTicksOfStat('1 (x) S 1')).toThrow('no utime/stime');
  });

  it('reads a live process (this one) and never goes backwards', () => {
    const before = cpuMsOf(process.pid);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    expect(cpuMsOf(process.pid)).toBeGreaterThanOrEqual(before);
  });

  it('finds the broker by the stack pid file only when that pid is a live Kafka process, else measures nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ampseal-cpu-'));
    try {
      mkdirSync(join(dir, 'pids'));
      expect(brokerPidOf('/nonexistent', dir)).toBeUndefined();
      // This jest process is alive but not Kafka: not taken for the broker.
      writeFileSync(join(dir, 'pids', 'kafka.pid'), `${process.pid}\n`);
      expect(brokerPidOf('/nonexistent', dir)).toBeUndefined();
      expect(brokerCpuSpan(undefined).perThousand(1_000)).toBeNull();
      const own = brokerCpuSpan(process.pid);
      expect(own.perThousand(1_000)).toBeGreaterThanOrEqual(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
