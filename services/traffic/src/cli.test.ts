import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseCliArguments, UsageError, writeTraffic } from './cli';
import { createTraffic } from './traffic';

describe('ampseal-traffic command line', () => {
  test('parses --events, --seed and the optional knobs', () => {
    expect(parseCliArguments(['--events', '10', '--seed', '42', '--malformed', '0.01'])).toEqual({
      events: 10,
      options: { seed: 42, malformedRate: 0.01 },
    });
    expect(parseCliArguments(['--events', '0', '--stations', '5', '--cards', '9', '--tenant', 'voltway-cpo', '--start', '2027-01-01T00:00:00Z'])).toEqual({
      events: 0,
      options: { seed: 1, stations: 5, cards: 9, tenant: 'voltway-cpo', startTime: Date.UTC(2027, 0, 1) },
    });
    expect(parseCliArguments(['--help'])).toBe('help');
  });

  test.each([
    [[], /--events is required/],
    [['--events', 'ten'], /--events must be an integer/],
    [['--events=-1'], /--events must be an integer/],
    [['--events', '1', '--colour'], /Unknown option '--colour'/],
    [['--events', '1', '--seed', '1.5'], /--seed must be an integer/],
    [['--events', '1', '--malformed', '2'], /--malformed must be a number from 0 to 1/],
    [['--events', '1', '--malformed', ''], /--malformed must be a number from 0 to 1/],
    [['--events', '1', '--start', 'yesterday'], /--start must be an ISO-8601 date-time/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseCliArguments(argv)).toThrow(UsageError);
    expect(() => parseCliArguments(argv)).toThrow(message);
  });

  test('writes exactly the generator’s record values as NDJSON, waiting for drain on a slow reader', async () => {
    const chunks: string[] = [];
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        setTimeout(callback, 1);
      },
    });
    const original = slow.write.bind(slow);
    slow.write = ((chunk: string) => {
      const ok = original(chunk);
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
      return ok;
    }) as typeof slow.write;

    await writeTraffic(5000, { seed: 4, malformedRate: 0.01 }, slow);
    const lines = chunks.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(createTraffic({ seed: 4, malformedRate: 0.01 }).take(5000).map((r) => r.value));
    // Never more than one chunk queued beyond the reader's buffer: the generator waited for 'drain'.
    expect(maxBuffered).toBeLessThan(16 * 1024 + 64 * 1024 + 4096);
  });

  test('stops quietly when the reader goes away (EPIPE)', async () => {
    const gone = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    // A billion records would take an hour: resolving at all proves the loop stopped.
    await expect(writeTraffic(1_000_000_000, { seed: 1 }, gone)).resolves.toBeUndefined();
  });

  test('reports other write errors', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
      },
    });
    await expect(writeTraffic(1_000_000, { seed: 1 }, broken)).rejects.toThrow('disk full');
  });

  const built = path.join(__dirname, '..', 'dist', 'cli.js');
  (existsSync(built) ? test : test.skip)('node dist/cli.js --events N --seed S prints N lines (built package)', () => {
    const out = execFileSync(process.execPath, [built, '--events', '300', '--seed', '9', '--malformed', '0.05'], { encoding: 'utf8' });
    const lines = out.split('\n').filter((line) => line.length > 0);
    expect(lines).toEqual(createTraffic({ seed: 9, malformedRate: 0.05 }).take(300).map((r) => r.value));
  });
});
