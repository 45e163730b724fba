import { channel } from 'node:diagnostics_channel';
import type { Audience, InputRecord, Transform } from '@ampseal/core';
import type { AvroEncoder, ConsumedRecord, OutputRecord, StreamHandler } from '@ampseal/kafka';
import type { Topics } from '@ampseal/runtime';

export const PIPELINE_CHANNEL = 'ampseal:pseudonymizer';

/** One event per transaction chunk: counts only, never content. */
export interface PipelineEvent {
  readonly records: number;
  readonly out: Readonly<Record<Audience, number>>;
  readonly quarantined: Readonly<Record<string, number>>;
  readonly skipped: Readonly<Record<string, number>>;
  readonly droppedFields: number;
}

const events = channel(PIPELINE_CHANNEL);

/**
 * Consumed records → the records of one transaction: analytics (Avro, Confluent wire format), roaming
 * (OCPI JSON keyed by the recipient party) and quarantine (the raw record, restricted topic, with its
 * reason and position in headers). Throws (retriable) when the key ring is down: nothing is produced then.
 */
export function createRecordHandler(deps: {
  readonly transform: Transform;
  /** Read per chunk: the encoder exists once the schema is registered at start. */
  readonly encoder: () => AvroEncoder | undefined;
  readonly topics: Topics;
}): StreamHandler {
  const { transform, encoder, topics } = deps;
  return async (consumed: readonly ConsumedRecord[]): Promise<OutputRecord[]> => {
    const inputs: InputRecord[] = consumed.map((r) => ({ value: r.value, eventId: `${r.topic}:${r.partition}:${r.offset}` }));
    const results = await transform.run(inputs);
    const avro = encoder();
    const outputs: OutputRecord[] = [];
    const stats = { analytics: 0, roaming: 0 };
    const quarantined: Record<string, number> = {};
    const skipped: Record<string, number> = {};
    let droppedFields = 0;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const source = consumed[i]!;
      if (result.status === 'quarantined') {
        quarantined[result.reason] = (quarantined[result.reason] ?? 0) + 1;
        const headers: Record<string, string> = { 'ampseal.reason': result.reason, 'ampseal.source': inputs[i]!.eventId };
        if (result.pointer !== undefined) headers['ampseal.pointer'] = result.pointer;
        if (result.keyword !== undefined) headers['ampseal.keyword'] = result.keyword;
        outputs.push({ topic: topics.quarantine, key: source.key, value: source.value ?? Buffer.alloc(0), headers });
        continue;
      }
      droppedFields += result.droppedFields;
      if (result.status === 'skipped') {
        skipped[result.why] = (skipped[result.why] ?? 0) + 1;
        continue;
      }
      if (result.analytics && avro) {
        const a = result.analytics;
        // The key is a value the policy already let through (station, else location), never a raw field.
        outputs.push({ topic: topics.analytics, key: (a.stationId ?? a.locationId ?? null) as string | null, value: avro.encode(a) });
        stats.analytics++;
      }
      if (result.roaming) {
        outputs.push({ topic: topics.roaming, key: result.roaming.recipient, value: JSON.stringify(result.roaming) });
        stats.roaming++;
      }
    }
    if (events.hasSubscribers) {
      events.publish({ records: consumed.length, out: stats, quarantined, skipped, droppedFields } satisfies PipelineEvent);
    }
    return outputs;
  };
}
