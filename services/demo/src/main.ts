import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { roamingTopic } from '@ampseal/core';
import { RecordConsumer, RecordProducer, createKafka, decodeWire, ensureTopics } from '@ampseal/kafka';
import { analyticsType } from '@ampseal/schemas/codec';
import { createLogger, loadConfig } from '@ampseal/service-kit';
import { createTraffic, type TrafficRecord } from '@ampseal/traffic';
import { emptyCounters, render, type Pair } from './view';

/**
 * `npm run demo`: the local stack, one pseudonymizer (a child process, as in production), seeded CPO traffic
 * at a steady rate, and a live view of raw identifiers going in and tokens coming out per audience. Ends after
 * --duration seconds (0: until Ctrl-C) with a summary, then drains and stops the service cleanly.
 */
const ROOT = join(__dirname, '..', '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      duration: { type: 'string', default: '45' },
      rate: { type: 'string', default: '1500' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
    },
  });
  const duration = Number(values.duration);
  const rate = Number(values.rate);
  if (!Number.isFinite(duration) || duration < 0 || !Number.isFinite(rate) || rate <= 0) {
    process.stderr.write('usage: npm run demo -- [--duration SECONDS (0 = until Ctrl-C)] [--rate EVENTS_PER_S] [--seed N]\n');
    return 2;
  }

  process.stderr.write('starting the local stack (infra/stack.sh up)…\n');
  const stack = spawnSync('bash', [join(ROOT, 'infra', 'stack.sh'), 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (stack.status !== 0) return 1;
  const stackEnv: Record<string, string> = {};
  for (const line of stack.stdout.split('\n')) {
    const m = /^(AMPSEAL_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) stackEnv[m[1]!] = m[2]!;
  }
  const port = 9464;
  const env = { ...process.env, ...stackEnv, AMPSEAL_CREATE_TOPICS: 'true', AMPSEAL_HTTP_PORT: String(port), AMPSEAL_INSTANCE_ID: 'demo', AMPSEAL_TENANTS: 'acme-cpo' };
  const config = loadConfig(env);
  const logger = createLogger({ level: 'warn', name: 'demo' });
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'ampseal-demo', logger, security: config.kafkaSecurity });
  const topics = config.topics;
  const traffic = createTraffic({ seed: Number(values.seed), stations: 400, cards: 20_000, malformedRate: 0.01 });
  // One roaming topic per eMSP whose cards roam here, made now so that the view subscribes to each from the start.
  const roaming = new Map(
    traffic.population.parties.map((p) => {
      const recipient = `${p.countryCode}-${p.partyId}`;
      return [roamingTopic(topics.roamingTemplate, recipient), recipient] as const;
    }),
  );
  await ensureTopics(kafka, [
    ...[topics.ocppRaw, topics.ocpiRaw, topics.analytics, ...roaming.keys()].map((topic) => ({ topic, partitions: config.topicPartitions })),
    { topic: topics.quarantine, partitions: 1 },
    { topic: topics.erasureEvents, partitions: 1 },
  ], config.topicReplication);

  const logs = join(process.env.AMPSEAL_STACK_DIR ?? join(ROOT, '.stack'), 'logs');
  mkdirSync(logs, { recursive: true });
  const serviceLog = createWriteStream(join(logs, 'demo-pseudonymizer.log'));
  const child = spawn(process.execPath, [join(ROOT, 'services', 'cli', 'bin', 'ampseal.js'), 'run', 'pseudonymizer'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(serviceLog);
  child.stderr.pipe(serviceLog);
  for (let i = 0; ; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 300 || child.exitCode !== null) {
      process.stderr.write(`the pseudonymizer did not become ready; see ${join(logs, 'demo-pseudonymizer.log')}\n`);
      child.kill('SIGTERM');
      return 1;
    }
    await sleep(100);
  }

  // Outputs, read as a downstream consumer would (read_committed).
  const type = analyticsType();
  const counters = emptyCounters();
  const waiting = new Map<string, TrafficRecord>();
  const pairs: Pair[] = [];
  const consumer = new RecordConsumer({
    kafka,
    name: 'demo-view',
    groupId: `ampseal-demo-view-${Date.now()}`,
    topics: [topics.analytics, ...roaming.keys(), topics.quarantine],
    fromBeginning: false,
    logger,
    maxWaitMs: 100,
    onRecord: (record) => {
      const topic = record.topic;
      if (topic === topics.quarantine) {
        counters.out.quarantine++;
        const reason = record.headers['ampseal.reason'] ?? 'unknown';
        counters.byReason[reason] = (counters.byReason[reason] ?? 0) + 1;
      } else if (roaming.has(topic)) {
        counters.out.roaming++;
        const recipient = roaming.get(topic)!;
        counters.recipients[recipient] = (counters.recipients[recipient] ?? 0) + 1;
      } else {
        counters.out.analytics++;
        const event = decodeWire(type, record.value!).value as { eventId: string; identifiers: Pair['tokens'] };
        const input = waiting.get(event.eventId);
        if (input) {
          waiting.delete(event.eventId);
          pairs.unshift({ message: input.message, raw: input.subjects ?? [], tokens: event.identifiers });
          pairs.length = Math.min(pairs.length, 12);
        }
      }
    },
  });
  await consumer.start();
  while (!consumer.hasJoined) await sleep(50);

  const producer = new RecordProducer(kafka, { idempotent: false });
  await producer.start();
  const started = Date.now();
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
  });
  const tty = process.stdout.isTTY === true;
  const draw = () => {
    const elapsed = (Date.now() - started) / 1000;
    const text = render(counters, pairs, elapsed, (counters.sent.ocpp + counters.sent.ocpi) / Math.max(elapsed, 0.001), tty);
    process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
  };
  const timer = setInterval(draw, tty ? 500 : 5_000);

  // Steady load: a tenth of the rate every 100 ms; one record in 40 that carries identifiers is sent on its
  // own so its offset (the output's eventId) is known and the view can pair input and output.
  let tick = 0;
  while (!stopping && (duration === 0 || Date.now() - started < duration * 1000)) {
    const batch: TrafficRecord[] = traffic.take(Math.max(1, Math.round(rate / 10)));
    const bulk = batch.filter((r, i) => !(r.kind === 'valid' && r.subjects?.length && (tick + i) % 40 === 0));
    const sampled = batch.filter((r) => !bulk.includes(r));
    for (const topic of [topics.ocppRaw, topics.ocpiRaw]) {
      const messages = bulk.filter((r) => (r.topic === 'ocpp.raw.v1' ? topics.ocppRaw : topics.ocpiRaw) === topic).map((r) => ({ topic, key: r.key, value: r.value }));
      if (messages.length) await producer.sendAll(messages);
    }
    for (const record of sampled) {
      const topic = record.topic === 'ocpp.raw.v1' ? topics.ocppRaw : topics.ocpiRaw;
      const [meta] = await producer.sendAll([{ topic, key: record.key, value: record.value }]);
      waiting.set(`${topic}:${meta!.partition}:${meta!.baseOffset}`, record);
    }
    for (const r of batch) {
      if (r.topic === 'ocpp.raw.v1') counters.sent.ocpp++;
      else counters.sent.ocpi++;
      if (r.kind === 'malformed') counters.sent.malformed++;
    }
    tick++;
    await sleep(Math.max(0, started + tick * 100 - Date.now()));
  }

  // Drain: wait until the service has consumed what was sent, then stop it as an orchestrator would.
  const sent = counters.sent.ocpp + counters.sent.ocpi;
  const feedSeconds = (Date.now() - started) / 1000;
  let drainedSeconds = Number.NaN;
  for (let i = 0; i < 600; i++) {
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    const consumed = Number(/^ampseal_records_in_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    if (consumed >= sent) {
      drainedSeconds = (Date.now() - started) / 1000;
      break;
    }
    await sleep(100);
  }
  await sleep(500);
  clearInterval(timer);
  draw();
  await producer.stop();
  await consumer.stop();
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  process.stdout.write(
    `\nsent ${sent} events in ${feedSeconds.toFixed(1)} s; analytics ${counters.out.analytics}, roaming ${counters.out.roaming}, quarantine ${counters.out.quarantine}; ` +
      `all consumed and committed after ${drainedSeconds.toFixed(1)} s (${(sent / drainedSeconds).toFixed(0)} events/s end to end, exactly-once); ` +
      `pseudonymizer exited ${code === 0 ? 'cleanly (0)' : `with ${code}`}. Service log: ${join(logs, 'demo-pseudonymizer.log')}\n`,
  );
  return code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).name}: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
