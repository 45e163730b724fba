import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, spawnProcess } from '../harness/processes';
import { useResources } from '../harness/resources';

/**
 * The CI smoke of `npm run bench` (issue 14): the quick run with one repetition, against the local stack, so the
 * benchmark, its Java peer and its verification cannot rot between full runs. Only that every phase ran and was
 * verified is asserted; no figure is (speed targets live in the benchmark, never in tests).
 */
const resources = useResources({ budgetMs: 420_000 });

const ROOT = join(__dirname, '..', '..');
const BENCH = join(ROOT, 'services', 'bench', 'dist', 'main.js');
const COMMITTED = join(ROOT, 'bench', 'results.json');

interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

interface Results {
  readonly mode: string;
  readonly exactly_once: boolean;
  readonly events: number;
  readonly pipeline_events_per_s: number;
  readonly passthrough_events_per_s: number;
  readonly pipeline_cpu_ms_per_1k_events: number;
  readonly transform_events_per_s: number;
  readonly transform_epochs_to_plain: number;
  readonly kafka_client: string;
  readonly clients: Readonly<Record<string, { readonly verified: boolean; readonly pipeline_events_per_s?: Spread; readonly pipeline_to_first_client?: Spread }>>;
  readonly runs: {
    readonly transform: ReadonlyArray<{ readonly events: number }>;
    readonly pipeline: ReadonlyArray<{ readonly memory_at_end: { readonly rss_mb: number; readonly heap_total_mb: number; readonly heap_used_mb: number; readonly external_mb: number } }>;
  };
  readonly java_peer: { readonly outputs_verified?: boolean | null; readonly skipped?: string; readonly failed?: string };
  readonly java_peer_events_per_s: number | null;
  readonly spread: Readonly<Record<string, Spread>>;
  readonly targets: ReadonlyArray<{ metric: string; verdict: string }>;
  readonly machine: { readonly cpu: string; readonly load_average_at_start: readonly number[] };
}

describe('npm run bench (smoke)', () => {
  it('runs every phase once on both Kafka clients, verifies the pipeline exactly once and the Java peer by its outputs, and leaves the committed results alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ampseal-bench-'));
    resources.add('bench output folder', dir, async (d) => rmSync(d, { recursive: true, force: true }));
    const committedBefore = existsSync(COMMITTED) ? statSync(COMMITTED).mtimeMs : undefined;
    const out = join(dir, 'results.json');
    const stderr: string[] = [];
    const child = spawnProcess('npm run bench', process.execPath, [BENCH, '--quick', '--repetitions', '1', '--out', out], {
      env: { ...process.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exit = await exitOf(child);
    expect({ exit: exit.code, tail: exit.code === 0 ? '' : stderr.join('').slice(-2_000) }).toEqual({ exit: 0, tail: '' });

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.mode).toBe('quick');
    expect(results.exactly_once).toBe(true);
    expect(results.pipeline_events_per_s).toBeGreaterThan(0);
    expect(results.passthrough_events_per_s).toBeGreaterThan(0);
    expect(results.pipeline_cpu_ms_per_1k_events).toBeGreaterThan(0);
    // Both adapters of the Kafka port ran the passthrough and the pipeline in the same repetition, each verified.
    expect(results.kafka_client).toBe('kafkajs');
    expect(Object.keys(results.clients).sort()).toEqual(['kafkajs', 'platformatic']);
    for (const c of Object.values(results.clients)) {
      expect(c.verified).toBe(true);
      expect(c.pipeline_events_per_s!.n).toBe(1);
      expect(c.pipeline_to_first_client!.n).toBe(1);
    }
    // The transform phase ran in its own process over the window and reported each repetition.
    expect(results.transform_events_per_s).toBeGreaterThan(0);
    expect(results.runs.transform).toHaveLength(1);
    expect(results.runs.transform[0]!.events).toBeGreaterThan(0);
    // Token epochs' per-event cost was measured beside it (a ratio of two measured rates, not a constant).
    expect(results.transform_epochs_to_plain).toBeGreaterThan(0);
    // Where the pipeline's memory was at the end: read from its own /metrics, each part within the whole.
    const memory = results.runs.pipeline[0]!.memory_at_end;
    expect(memory.heap_used_mb).toBeGreaterThan(0);
    expect(memory.heap_used_mb).toBeLessThanOrEqual(memory.heap_total_mb);
    expect(memory.heap_total_mb + memory.external_mb).toBeLessThan(memory.rss_mb);
    // The Java peer ran and copied every record, or says why it could not run (no JDK or Maven): never a made-up figure.
    if (results.java_peer.skipped === undefined) {
      expect(results.java_peer.outputs_verified).toBe(true);
      expect(results.java_peer_events_per_s).toBeGreaterThan(0);
    } else {
      expect(results.java_peer_events_per_s).toBeNull();
    }
    for (const name of ['pipeline_events_per_s', 'passthrough_events_per_s', 'pipeline_to_passthrough']) {
      const s = results.spread[name]!;
      expect(s.n).toBe(1);
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
    }
    expect(results.targets.map((t) => t.metric)).toEqual(expect.arrayContaining(['pipeline_to_passthrough', 'transform_events_per_s', 'latency_p99_ms', 'peak_rss_mb']));
    expect(results.machine.cpu.length).toBeGreaterThan(0);
    expect(results.machine.load_average_at_start).toHaveLength(3);
    // A quick run never overwrites the committed full-run results.
    expect(existsSync(COMMITTED) ? statSync(COMMITTED).mtimeMs : undefined).toBe(committedBefore);
  });
});
