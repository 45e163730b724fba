import { POD_NODE_OPTIONS, UsageError, parseArgs, rawPartitionsFor, resultsFile } from './args';

describe('bench arguments', () => {
  it('default to the full run: seed 42, 3 repetitions, the pod heap for the children', () => {
    expect(parseArgs([])).toEqual({
      quick: false,
      compare: undefined,
      events: undefined,
      seed: 42,
      repetitions: 3,
      profile: false,
      out: undefined,
      nodeOptions: POD_NODE_OPTIONS,
      instances: 1,
      memory: false,
      subjects: 100_000,
      threads: undefined,
      clients: ['kafkajs', 'platformatic'],
    });
  });

  it('add a pipeline run with AMPSEAL_HANDLER_THREADS=N to each repetition with --threads', () => {
    expect(parseArgs(['--quick', '--threads', '1'])).toMatchObject({ quick: true, threads: 1 });
    expect(parseArgs(['--threads=0']).threads).toBe(0);
    expect(() => parseArgs(['--threads', '17'])).toThrow('--threads needs a whole number from 0 to 16');
  });

  it('run the passthrough and the pipeline on each client of --client, the first as the headline one', () => {
    expect(parseArgs(['--quick', '--client', 'platformatic']).clients).toEqual(['platformatic']);
    expect(parseArgs(['--client=kafkajs']).clients).toEqual(['kafkajs']);
    expect(parseArgs(['--client', 'platformatic,kafkajs']).clients).toEqual(['platformatic', 'kafkajs']);
    expect(parseArgs(['--client', 'kafkajs,kafkajs']).clients).toEqual(['kafkajs']);
    expect(() => parseArgs(['--client', 'rdkafka'])).toThrow('--client needs kafkajs, platformatic or a comma list of them');
    expect(() => parseArgs(['--client', 'kafkajs,'])).toThrow(UsageError);
  });

  it('run N pipeline instances with --instances, on 3 raw partitions per instance', () => {
    expect(parseArgs(['--quick', '--instances', '2'])).toMatchObject({ quick: true, instances: 2 });
    expect(parseArgs(['--instances=3']).instances).toBe(3);
    expect(rawPartitionsFor(1)).toBe(3); // the default run's topics are unchanged
    expect(rawPartitionsFor(2)).toBe(6);
    expect(() => parseArgs(['--instances', '0'])).toThrow('--instances needs a whole number from 1 to 8');
    expect(() => parseArgs(['--instances'])).toThrow(UsageError);
  });

  it('measure only the key cache with --memory, for --subjects distinct subjects', () => {
    expect(parseArgs(['--memory'])).toMatchObject({ memory: true, subjects: 100_000 });
    expect(parseArgs(['--memory', '--subjects', '20_000']).subjects).toBe(20_000);
    expect(() => parseArgs(['--memory', '--subjects', '10'])).toThrow(UsageError);
  });

  it('make --quick a 2-repetition run unless told otherwise', () => {
    expect(parseArgs(['--quick']).repetitions).toBe(2);
    expect(parseArgs(['--quick', '--repetitions', '4']).repetitions).toBe(4);
  });

  it('take values after a space or an equals sign, and underscores in numbers', () => {
    const args = parseArgs(['--compare', 'old.json', '--events=250_000', '--seed', '7', '--node-options=']);
    expect(args).toMatchObject({ compare: 'old.json', events: 250_000, seed: 7, nodeOptions: '' });
  });

  it('refuse unknown flags and bad numbers with a usage error', () => {
    expect(() => parseArgs(['--fast'])).toThrow(UsageError);
    expect(() => parseArgs(['--events', 'many'])).toThrow('--events needs a whole number');
    expect(() => parseArgs(['--events', '10'])).toThrow(UsageError);
    expect(() => parseArgs(['--compare'])).toThrow('--compare needs a file');
  });

  it('write a quick run to its own file, never over the full run\'s bench/results.json', () => {
    expect(resultsFile(parseArgs(['--quick']), '/repo', '/repo')).toBe('/repo/bench/results-quick.json');
    expect(resultsFile(parseArgs([]), '/repo', '/repo/services/bench')).toBe('/repo/bench/results.json');
  });

  it('let an explicit --out win, relative to where the command ran', () => {
    expect(resultsFile(parseArgs(['--quick', '--out', 'x/r.json']), '/repo', '/tmp/here')).toBe('/tmp/here/x/r.json');
    expect(resultsFile(parseArgs(['--out=/abs/r.json']), '/repo', '/tmp/here')).toBe('/abs/r.json');
  });
});
