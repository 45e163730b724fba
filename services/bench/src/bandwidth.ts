import type { InputRecord } from '@ampseal/core';
import { analyticsType } from '@ampseal/schemas/codec';
import { type Dataset, benchTransform, buildDataset } from './dataset';

/**
 * Broker bytes per event for docs/capacity.md (`IN_B`, `OUT_B`): the bench's quick dataset through the transform,
 * each output sized as the pipeline writes it (handler.ts): analytics as Avro in the registry's wire format (5-byte
 * header), keyed by the station's or location's link token; roaming as JSON, keyed by the OCPI object id or the
 * recipient; quarantine as the input itself. In process, no stack:
 * `npm run build && node services/bench/dist/bandwidth.js [events]`.
 */

export interface Bytes {
  events: number;
  ocpi: number;
  inValue: number;
  inKey: number;
  analytics: { records: number; value: number; key: number };
  roaming: { records: number; value: number; key: number };
  quarantine: { records: number; value: number };
}

/** Bytes per input event, by direction and audience. Pure. */
export function perEvent(b: Bytes): { in: number; out: number; analytics: number; roaming: number; quarantine: number; ocpiShare: number } {
  const n = b.events;
  const analytics = (b.analytics.value + b.analytics.key) / n;
  const roaming = (b.roaming.value + b.roaming.key) / n;
  const quarantine = b.quarantine.value / n;
  return { in: (b.inValue + b.inKey) / n, out: analytics + roaming + quarantine, analytics, roaming, quarantine, ocpiShare: b.ocpi / n };
}

const WIRE_HEADER = 5;

export async function measureBytes(data: Dataset): Promise<Bytes> {
  const transform = benchTransform(data.keyring);
  const type = analyticsType();
  const b: Bytes = { events: data.size, ocpi: 0, inValue: 0, inKey: 0, analytics: { records: 0, value: 0, key: 0 }, roaming: { records: 0, value: 0, key: 0 }, quarantine: { records: 0, value: 0 } };
  for (let from = 0; from < data.size; from += 500) {
    const batch: InputRecord[] = [];
    for (let i = from; i < Math.min(data.size, from + 500); i++) {
      batch.push({ value: data.values[i]!, eventId: `bandwidth:${data.partition[i]}:${data.offset[i]}` });
      b.inValue += data.values[i]!.length;
      b.inKey += Buffer.byteLength(data.keys[i]!);
      b.ocpi += data.topic[i]!;
    }
    const results = await transform.run(batch);
    results.forEach((r, j) => {
      if (r.status === 'quarantined') {
        b.quarantine.records++;
        b.quarantine.value += data.values[from + j]!.length;
        return;
      }
      if (r.status !== 'emitted') return;
      if (r.analytics) {
        b.analytics.records++;
        b.analytics.value += WIRE_HEADER + type.toBuffer(r.analytics).length;
        const key = r.analytics.stationId ?? r.analytics.locationId;
        b.analytics.key += typeof key === 'string' ? Buffer.byteLength(key) : 0;
      }
      if (r.roaming) {
        b.roaming.records++;
        b.roaming.value += Buffer.byteLength(JSON.stringify(r.roaming));
        const id = r.roaming.object.id;
        b.roaming.key += Buffer.byteLength(typeof id === 'string' ? id : r.roaming.recipient);
      }
    });
  }
  return b;
}

if (require.main === module) {
  const events = Number(process.argv[2] ?? 100_000);
  void (async () => {
    // The quick run's dataset (main.ts QUICK mode).
    const data = await buildDataset({
      seed: 42,
      stations: 2_000,
      cards: 20_000,
      malformedRate: 0.005,
      partitions: 3,
      events,
      minSubjects: 0,
      minEvents: 0,
      maxEvents: events,
      topics: { ocpp: 'bandwidth.ocpp.raw.v1', ocpi: 'bandwidth.ocpi.raw.v1' },
    });
    const bytes = await measureBytes(data);
    data.releaseRecords();
    const p = perEvent(bytes);
    process.stdout.write(
      `${bytes.events.toLocaleString('en-US')} events (OCPI ${(p.ocpiShare * 100).toFixed(1)}%): in ${p.in.toFixed(0)} B per event; out ${p.out.toFixed(0)} B per event ` +
        `(analytics ${p.analytics.toFixed(0)}, roaming ${p.roaming.toFixed(0)}, quarantine ${p.quarantine.toFixed(0)})\n${JSON.stringify(bytes)}\n`,
    );
  })();
}
