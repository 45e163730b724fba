import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  createTransform,
  type Audience,
  type InputRecord,
  type RecordResult,
  type TokenSource,
} from '@ampseal/core';
import { ndjsonLines, type Line } from './ndjson';

export interface PseudonymizeOptions {
  readonly audience: Audience;
  readonly policyFile: string | undefined;
  readonly inFile: string | undefined;
  readonly outFile: string | undefined;
  readonly quarantineFile: string | undefined;
  readonly maxRecordBytes: number;
  /** Configured tenants (AMPSEAL_TENANTS); empty accepts any. */
  readonly tenants?: readonly string[];
  /** AMPSEAL_MAX_CLOCK_SKEW_MS; the transform's default (5 minutes) when absent. */
  readonly maxClockSkewMs?: number;
  readonly batchSize?: number;
}

export interface Summary {
  read: number;
  written: number;
  skipped: number;
  quarantined: number;
  byReason: Record<string, number>;
  droppedFields: number;
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: Writable): Promise<void> {
  if (stream === process.stdout || stream === process.stderr) return;
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/**
 * File mode (design §9): NDJSON envelopes in, one NDJSON line per output record out, through the same
 * Transform the streaming service uses. Invalid input goes to the quarantine file as
 * `{"reason","offset"}` only: nothing of a rejected line is ever printed.
 */
export async function pseudonymize(
  options: PseudonymizeOptions,
  tokens: TokenSource,
  io: { stdin: Readable; stdout: Writable; stderr: Writable & { isTTY?: boolean } },
): Promise<Summary> {
  const transform = createTransform({
    tokens,
    audiences: [options.audience],
    policyFile: options.policyFile,
    maxRecordBytes: options.maxRecordBytes,
    tenants: options.tenants,
    maxClockSkewMs: options.maxClockSkewMs,
  });

  const input = options.inFile ? createReadStream(options.inFile) : io.stdin;
  const out = options.outFile ? createWriteStream(options.outFile) : io.stdout;
  const quarantine = options.quarantineFile ? createWriteStream(options.quarantineFile) : undefined;
  const summary: Summary = { read: 0, written: 0, skipped: 0, quarantined: 0, byReason: {}, droppedFields: 0 };
  const batchSize = options.batchSize ?? 512;
  const progress = io.stderr.isTTY === true;
  let lastProgress = Date.now();

  const flush = async (lines: Line[]) => {
    const records: InputRecord[] = lines.map((l) => ({ value: l.bytes ?? '', eventId: `line:${l.number}` }));
    const results = await transform.run(records);
    let text = '';
    let quarantined = '';
    for (let i = 0; i < results.length; i++) {
      const result: RecordResult =
        lines[i]!.bytes === null ? { status: 'quarantined', reason: 'too_large' } : results[i]!;
      if (result.status === 'quarantined') {
        summary.quarantined++;
        summary.byReason[result.reason] = (summary.byReason[result.reason] ?? 0) + 1;
        // Where and which rule, never the value: the quarantine file is read by operators, not only by ampseal.
        quarantined += `${JSON.stringify({ reason: result.reason, offset: lines[i]!.number, pointer: result.pointer, keyword: result.keyword })}\n`;
        continue;
      }
      summary.droppedFields += result.droppedFields;
      if (result.status === 'skipped') {
        summary.skipped++;
        continue;
      }
      const record = options.audience === 'analytics' ? result.analytics : result.roaming;
      if (record === undefined) {
        summary.skipped++;
        continue;
      }
      text += `${JSON.stringify(record)}\n`;
      summary.written++;
    }
    if (text) await write(out, text);
    if (quarantined && quarantine) await write(quarantine, quarantined);
    if (progress && Date.now() - lastProgress > 1000) {
      lastProgress = Date.now();
      io.stderr.write(`\rread ${summary.read}, written ${summary.written}, quarantined ${summary.quarantined}   `);
    }
  };

  let batch: Line[] = [];
  for await (const line of ndjsonLines(input as AsyncIterable<Buffer>, options.maxRecordBytes)) {
    summary.read++;
    batch.push(line);
    if (batch.length >= batchSize) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  if (progress) io.stderr.write('\r');
  await close(out);
  if (quarantine) await close(quarantine);
  return summary;
}

export function formatSummary(s: Summary): string {
  const reasons = Object.entries(s.byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return (
    `ampseal pseudonymize: read ${s.read}, written ${s.written}, skipped ${s.skipped}, ` +
    `quarantined ${s.quarantined}${reasons ? ` (${reasons})` : ''}, unknown fields dropped ${s.droppedFields}\n`
  );
}
