import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { STREAM_CHANNEL, type StreamEvent } from '@ampseal/kafka';
import { PIPELINE_CHANNEL, type PipelineEvent } from './handler';

/** Subscribes the pseudonymizer's Prometheus metrics to the pipeline and stream channels. */
export function pseudonymizerMetrics(registry: Registry): () => void {
  const recordsIn = new Counter({ name: 'ampseal_records_in_total', help: 'Raw records consumed', registers: [registry] });
  const recordsOut = new Counter({ name: 'ampseal_records_out_total', help: 'Records produced per audience', labelNames: ['audience'], registers: [registry] });
  const quarantined = new Counter({ name: 'ampseal_records_quarantined_total', help: 'Records sent to quarantine', labelNames: ['reason'], registers: [registry] });
  const skipped = new Counter({ name: 'ampseal_records_skipped_total', help: 'Valid records that make no output', labelNames: ['why'], registers: [registry] });
  const dropped = new Counter({ name: 'ampseal_unknown_fields_dropped_total', help: 'Input fields unknown to the catalog, dropped', registers: [registry] });
  const txSeconds = new Histogram({ name: 'ampseal_transaction_seconds', help: 'Consume-to-commit time of one transaction', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const lag = new Gauge({ name: 'ampseal_consumer_lag', help: 'Records behind the partition end', labelNames: ['topic', 'partition'], registers: [registry] });
  const paused = new Gauge({ name: 'ampseal_paused', help: '1 while a dependency is down and nothing is emitted', registers: [registry] });

  const onPipeline = (message: unknown) => {
    const e = message as PipelineEvent;
    recordsIn.inc(e.records);
    for (const [audience, n] of Object.entries(e.out)) if (n) recordsOut.inc({ audience }, n);
    for (const [reason, n] of Object.entries(e.quarantined)) quarantined.inc({ reason }, n);
    for (const [why, n] of Object.entries(e.skipped)) skipped.inc({ why }, n);
    if (e.droppedFields) dropped.inc(e.droppedFields);
  };
  const onStream = (message: unknown) => {
    const e = message as StreamEvent;
    if (e.type === 'transaction') txSeconds.observe(e.durationMs / 1000);
    else if (e.type === 'lag') lag.set({ topic: e.topic, partition: String(e.partition) }, e.lag);
    else paused.set(e.type === 'paused' ? 1 : 0);
  };
  subscribe(PIPELINE_CHANNEL, onPipeline);
  subscribe(STREAM_CHANNEL, onStream);
  return () => {
    unsubscribe(PIPELINE_CHANNEL, onPipeline);
    unsubscribe(STREAM_CHANNEL, onStream);
  };
}
