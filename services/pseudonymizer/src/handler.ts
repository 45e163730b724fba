import { channel } from 'node:diagnostics_channel';
import { createTransform, ERRORS, roamingTopic, type Audience, type InputRecord, type RecordResult, type ReasonCode, type TokenSource, type Transform } from '@ampseal/core';
import { classifyFailure, type AvroEncoder, type ConsumedRecord, type OutputRecord, type StreamHandler } from '@ampseal/kafka';
import type { Config, Topics } from '@ampseal/service-kit';

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
const EMPTY = Buffer.alloc(0);
const TOO_LARGE = ERRORS.TOO_LARGE.reason;

/** The pipeline's transform from its validated configuration: one definition for the main thread and each handler thread. */
export function pipelineTransform(
  config: Pick<Config, 'audiences' | 'policyFile' | 'maxRecordBytes' | 'tenants' | 'maxClockSkewMs'>,
  tokens: TokenSource,
): Transform {
  return createTransform({
    tokens,
    audiences: config.audiences,
    policyFile: config.policyFile,
    maxRecordBytes: config.maxRecordBytes,
    tenants: config.tenants,
    maxClockSkewMs: config.maxClockSkewMs,
  });
}

/** The roaming topics that exist (TopicDirectory in production: creates them first when allowed). */
export interface RoamingTopics {
  existing(topics: Iterable<string>): Promise<ReadonlySet<string>>;
}

/**
 * Consumed records → the records of one transaction: analytics (Avro, Confluent wire format), roaming
 * (OCPI JSON on the recipient's own topic) and quarantine (the raw record, restricted topic, with its
 * reason and position in headers). Throws (retriable) when the key ring or the broker is down: nothing is
 * produced then. Never throws for one record: a record whose analytics record the encoder refuses is quarantined
 * (`encode_failed`) as a whole, and the records behind it flow on.
 */
export function createRecordHandler(deps: {
  readonly transform: Transform;
  /** The analytics encoder (schema registered at start); none when the analytics audience is off. */
  readonly encoder: AvroEncoder | undefined;
  readonly topics: Topics;
  readonly roamingTopics?: RoamingTopics;
  /** When given, only these recipients (`NL-TNM`) get roaming output; others are quarantined. */
  readonly roamingRecipients?: ReadonlySet<string>;
}): StreamHandler {
  const { transform, encoder, topics } = deps;
  const allowed = deps.roamingRecipients !== undefined && deps.roamingRecipients.size > 0 ? deps.roamingRecipients : undefined;
  const directory: RoamingTopics = deps.roamingTopics ?? { existing: async (t) => new Set(t) };

  /**
   * Recipient → topic for the chunk's recipients that may receive and whose topic exists, resolved before the
   * chunk's records are returned to the transaction (a produce to a missing topic would retry for ever). A
   * record for any other recipient is quarantined as a whole (`unknown_recipient`): it can be fed again once the
   * partner is provisioned.
   */
  const route = async (results: RecordResult[]): Promise<ReadonlyMap<string, string>> => {
    const routes = new Map<string, string>();
    for (const r of results) {
      const recipient = r.status === 'emitted' ? r.roaming?.recipient : undefined;
      if (recipient === undefined || routes.has(recipient) || !(allowed?.has(recipient) ?? true)) continue;
      routes.set(recipient, roamingTopic(topics.roamingTemplate, recipient));
    }
    if (routes.size > 0) {
      const existing = await directory.existing(routes.values());
      for (const [recipient, topic] of routes) if (!existing.has(topic)) routes.delete(recipient);
    }
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.status === 'emitted' && r.roaming && !routes.has(r.roaming.recipient)) {
        results[i] = { status: 'quarantined', reason: 'unknown_recipient' satisfies ReasonCode };
      }
    }
    return routes;
  };

  return async (consumed: readonly ConsumedRecord[]): Promise<OutputRecord[]> => {
    const inputs: InputRecord[] = consumed.map((r) => ({ value: r.value, eventId: `${r.topic}:${r.partition}:${r.offset}` }));
    const results = await transform.run(inputs);
    const routes = await route(results);
    const avro = encoder;
    const outputs: OutputRecord[] = [];
    const stats = { analytics: 0, roaming: 0 };
    const quarantined: Record<string, number> = {};
    const skipped: Record<string, number> = {};
    let droppedFields = 0;
    const quarantine = (i: number, failure: { reason: string; pointer?: string; keyword?: string }) => {
      const source = consumed[i]!;
      quarantined[failure.reason] = (quarantined[failure.reason] ?? 0) + 1;
      const headers: Record<string, string> = { 'ampseal.reason': failure.reason, 'ampseal.source': inputs[i]!.eventId };
      if (failure.pointer !== undefined) headers['ampseal.pointer'] = failure.pointer;
      if (failure.keyword !== undefined) headers['ampseal.keyword'] = failure.keyword;
      let value = source.value ?? EMPTY;
      if (failure.reason === TOO_LARGE) {
        // Never parsed, and a copy of a record near the broker's size limit plus these headers is over it: the
        // transaction would be refused on every attempt. The raw record stays addressable by `ampseal.source`.
        headers['ampseal.omitted-bytes'] = String(value.length);
        value = EMPTY;
      }
      outputs.push({ topic: topics.quarantine, key: source.key, value, headers });
    };
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.status === 'quarantined') {
        quarantine(i, result);
        continue;
      }
      droppedFields += result.droppedFields;
      if (result.status === 'skipped') {
        skipped[result.why] = (skipped[result.why] ?? 0) + 1;
        continue;
      }
      if (result.analytics && avro) {
        const a = result.analytics;
        let value: Buffer;
        try {
          value = avro.encode(a);
        } catch (err) {
          // Encoded before anything of this record is emitted, so a refused record leaves no roaming output behind.
          const { action, error } = classifyFailure(err);
          if (action !== 'quarantine') throw err;
          droppedFields -= result.droppedFields;
          quarantine(i, error);
          continue;
        }
        // The key is the station's link token, else the location's (what the record itself carries), never a clear id:
        // per-station ordering without naming the station.
        outputs.push({ topic: topics.analytics, key: (a.stationId ?? a.locationId ?? null) as string | null, value });
        stats.analytics++;
      }
      if (result.roaming) {
        // Keyed by the OCPI object id when the policy kept it: a Session's updates stay in order on one
        // partition while a large eMSP's traffic spreads over all of its topic's partitions.
        const { recipient, object } = result.roaming;
        const key = typeof object.id === 'string' ? object.id : recipient;
        outputs.push({ topic: routes.get(recipient)!, key, value: JSON.stringify(result.roaming) });
        stats.roaming++;
      }
    }
    if (events.hasSubscribers) {
      events.publish({ records: consumed.length, out: stats, quarantined, skipped, droppedFields } satisfies PipelineEvent);
    }
    return outputs;
  };
}
