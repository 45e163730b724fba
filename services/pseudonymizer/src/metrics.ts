import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, type Registry } from 'prom-client';
import { PIPELINE_CHANNEL, type PipelineEvent } from './handler';

/** The adapter of the pseudonymizer's own channel (the stream's and the key ring's are the service kit's). */
export function pipelineMetrics(registry: Registry): () => void {
  const recordsIn = new Counter({ name: 'ampseal_records_in_total', help: 'Raw records consumed', registers: [registry] });
  const recordsOut = new Counter({ name: 'ampseal_records_out_total', help: 'Records produced per audience', labelNames: ['audience'], registers: [registry] });
  const quarantined = new Counter({ name: 'ampseal_records_quarantined_total', help: 'Records sent to quarantine', labelNames: ['reason'], registers: [registry] });
  const skipped = new Counter({ name: 'ampseal_records_skipped_total', help: 'Valid records that make no output', labelNames: ['why'], registers: [registry] });
  const dropped = new Counter({ name: 'ampseal_unknown_fields_dropped_total', help: 'Input fields unknown to the catalog, dropped', registers: [registry] });

  const onPipeline = (message: unknown) => {
    const e = message as PipelineEvent;
    recordsIn.inc(e.records);
    for (const [audience, n] of Object.entries(e.out)) if (n) recordsOut.inc({ audience }, n);
    for (const [reason, n] of Object.entries(e.quarantined)) quarantined.inc({ reason }, n);
    for (const [why, n] of Object.entries(e.skipped)) skipped.inc({ why }, n);
    if (e.droppedFields) dropped.inc(e.droppedFields);
  };
  subscribe(PIPELINE_CHANNEL, onPipeline);
  return () => unsubscribe(PIPELINE_CHANNEL, onPipeline);
}
