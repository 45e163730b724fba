/**
 * Throughput of the Transform on one core, against the BUILT package (services/core/dist), with a warm in-memory
 * key ring: one HMAC per new subject, then a Map hit (what a deployed instance does once its LRU is warm).
 * Not a test. Run from the repository root:
 *
 *   npx tsc -p services/core/tsconfig.build.json
 *   npx tsc --outDir /tmp/ampseal-measure --rootDir services/core/src --module node16 --moduleResolution node16 \
 *     --target es2022 --types node --skipLibCheck --strict --esModuleInterop --resolveJsonModule \
 *     services/core/src/__fixtures__/measure-transform.ts
 *   node /tmp/ampseal-measure/__fixtures__/measure-transform.js [events=100000] [dist=services/core/dist]
 *
 * Only the script's own output is used: its `import type` of ../index pulls the sources into the compilation, but
 * the measured code is the dist it imports at run time. Add `--cpu-prof --cpu-prof-dir=/tmp/ampseal-prof` to node
 * for a profile. Measured on a shared 2-vCPU box, Node 20, least-loaded runs: ~80k events/s warm, ~62k/s cold.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Core from '../index';
import type { TokenOutcome, TokenRequest, TokenSource } from '../tokens';

const EVENTS = Number(process.argv[2] ?? 100_000);
const DIST = path.resolve(process.argv[3] ?? 'services/core/dist');
const BATCH = 500;
const CARDS = 10_000;
const STATIONS = 2_000;

/** A warm key ring: a subject's token is computed once (HMAC under a per-process key), then served from a Map. */
class WarmKeyRing implements TokenSource {
  private readonly cache = new Map<string, string>();
  private readonly key = Buffer.alloc(32, 7);
  misses = 0;

  async tokens(requests: readonly TokenRequest[]): Promise<TokenOutcome[]> {
    const out: TokenOutcome[] = new Array(requests.length);
    for (let i = 0; i < requests.length; i++) {
      const { subject } = requests[i]!;
      const id = `${subject.tenant}\u0000${subject.kind}\u0000${subject.value}`;
      let token = this.cache.get(id);
      if (token === undefined) {
        this.misses++;
        token = createHmac('sha256', this.key).update(`ampseal/token/v1\u0000${id}`).digest().subarray(0, 16).toString('base64url');
        this.cache.set(id, token);
      }
      out[i] = { status: 'TOKENIZED', token };
    }
    return out;
  }
}

/** Deterministic PRNG (mulberry32): the same event mix on every run. */
let seed = 0x5eed;
function random(): number {
  let t = (seed = (seed + 0x6d2b79f5) >>> 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(random() * n);
const hex = (bytes: number): string => Array.from({ length: bytes }, () => int(256).toString(16).padStart(2, '0')).join('').toUpperCase();

// 10k cards: RFID UIDs (7 bytes), some app users, some with an eMAID contract (2.0.1 eMAID idTokens, OCPI contract_id).
const cards = Array.from({ length: CARDS }, (_, i) => ({
  uid: i % 10 === 0 ? `APP-${hex(6)}` : hex(7),
  emaid: `NL-TNM-C${String(i).padStart(8, '0')}-${String.fromCharCode(65 + (i % 26))}`,
}));
const card = () => cards[int(CARDS)]!;

let clock = Date.UTC(2026, 10, 24, 8, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

function ocppLine(source: 'ocpp1.6' | 'ocpp2.0.1', action: string, payload: object, stationId: string, result = false): string {
  const frame = result ? [3, `m${int(1e9)}`, payload] : [2, `m${int(1e9)}`, action, payload];
  return JSON.stringify({ tenant: 'acme-cpo', source, stationId, receivedAt: iso(clock), action, frame });
}

function sampled16(wh: number): object[] {
  return [
    { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
    { value: (7 + random() * 4).toFixed(2), measurand: 'Power.Active.Import', unit: 'kW' },
    { value: (228 + random() * 6).toFixed(1), measurand: 'Voltage', unit: 'V', phase: 'L1' },
    { value: String(20 + int(80)), measurand: 'SoC', unit: 'Percent' },
  ];
}

function sampled201(wh: number): object[] {
  return [
    { value: wh / 1000, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' }, context: 'Sample.Periodic' },
    { value: 7 + random() * 4, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'kW' } },
    { value: 20 + int(80), measurand: 'SoC', unitOfMeasure: { unit: 'Percent' } },
  ];
}

function session(ended: boolean): object {
  const c = card();
  const start = clock - 3_600_000;
  return {
    country_code: 'BE',
    party_id: 'BEC',
    id: `S${int(1e9)}`,
    start_date_time: iso(start),
    ...(ended ? { end_date_time: iso(clock) } : {}),
    kwh: Number((random() * 60).toFixed(3)),
    cdr_token: { country_code: 'NL', party_id: 'TNM', uid: c.uid, type: 'RFID', contract_id: c.emaid },
    auth_method: 'WHITELIST',
    location_id: `LOC${int(500)}`,
    evse_uid: String(int(5000)),
    connector_id: '1',
    currency: 'EUR',
    charging_periods: [
      { start_date_time: iso(start), dimensions: [{ type: 'ENERGY', volume: 12.5 }, { type: 'MAX_CURRENT', volume: 30 }] },
    ],
    total_cost: { excl_vat: 8.5, incl_vat: 9.35 },
    status: ended ? 'COMPLETED' : 'ACTIVE',
    last_updated: iso(clock),
  };
}

function cdr(): object {
  const c = card();
  return {
    country_code: 'BE',
    party_id: 'BEC',
    id: `CDR${int(1e9)}`,
    start_date_time: iso(clock - 7_200_000),
    end_date_time: iso(clock),
    session_id: `S${int(1e9)}`,
    cdr_token: { country_code: 'DE', party_id: 'TNM', uid: c.uid, type: 'RFID', contract_id: c.emaid },
    auth_method: 'WHITELIST',
    cdr_location: {
      id: `LOC${int(500)}`,
      name: 'Gent Zuid',
      address: 'F.Rooseveltlaan 3A',
      city: 'Gent',
      postal_code: '9000',
      country: 'BEL',
      coordinates: { latitude: '51.047599', longitude: '3.729944' },
      evse_uid: '3256',
      evse_id: 'BE*BEC*E041503003',
      connector_id: '1',
      connector_standard: 'IEC_62196_T2',
      connector_format: 'SOCKET',
      connector_power_type: 'AC_1_PHASE',
    },
    currency: 'EUR',
    tariffs: [
      {
        country_code: 'BE',
        party_id: 'BEC',
        id: '12',
        currency: 'EUR',
        elements: [{ price_components: [{ type: 'TIME', price: 2.0, vat: 10.0, step_size: 300 }] }],
        last_updated: '2015-02-02T14:15:01Z',
      },
    ],
    charging_periods: [{ start_date_time: iso(clock - 7_200_000), dimensions: [{ type: 'TIME', volume: 1.973 }], tariff_id: '12' }],
    total_cost: { excl_vat: 4.0, incl_vat: 4.4 },
    total_energy: 15.342,
    total_time: 1.973,
    last_updated: iso(clock),
  };
}

/** One realistic event: MeterValues dominate real traffic, then transaction events, then the rest. */
function event(): string {
  clock += 50;
  const station = `CP-${int(STATIONS)}`;
  const c = card();
  const wh = 10_000 + int(90_000_000);
  const roll = int(100);
  if (roll < 22) return ocppLine('ocpp1.6', 'MeterValues', { connectorId: 1, transactionId: int(1e6), meterValue: [{ timestamp: iso(clock), sampledValue: sampled16(wh) }] }, station);
  if (roll < 27) return ocppLine('ocpp1.6', 'StartTransaction', { connectorId: 1, idTag: c.uid, meterStart: wh, timestamp: iso(clock) }, station);
  if (roll < 32) {
    return ocppLine(
      'ocpp1.6',
      'StopTransaction',
      { idTag: c.uid, meterStop: wh, timestamp: iso(clock), transactionId: int(1e6), reason: 'EVDisconnected', transactionData: [{ timestamp: iso(clock), sampledValue: sampled16(wh).slice(0, 1) }] },
      station,
    );
  }
  if (roll < 37) return ocppLine('ocpp1.6', 'Authorize', { idTag: c.uid }, station);
  if (roll < 40) return ocppLine('ocpp1.6', 'Authorize', { idTagInfo: { status: 'Accepted', parentIdTag: 'FLEET-7', expiryDate: '2027-01-01T00:00:00Z' } }, station, true);
  if (roll < 65) {
    const eventType = roll < 45 ? 'Started' : roll < 60 ? 'Updated' : 'Ended';
    const emaid = roll % 3 === 0;
    return ocppLine(
      'ocpp2.0.1',
      'TransactionEvent',
      {
        eventType,
        timestamp: iso(clock),
        triggerReason: eventType === 'Updated' ? 'MeterValuePeriodic' : eventType === 'Started' ? 'Authorized' : 'EVCommunicationLost',
        seqNo: int(100),
        transactionInfo: { transactionId: `tx-${int(1e6)}`, chargingState: 'Charging', ...(eventType === 'Ended' ? { stoppedReason: 'EVDisconnected' } : {}) },
        evse: { id: 1 + int(2), connectorId: 1 },
        ...(eventType === 'Updated' ? {} : { idToken: emaid ? { idToken: c.emaid, type: 'eMAID' } : { idToken: c.uid, type: 'ISO14443' } }),
        meterValue: [{ timestamp: iso(clock), sampledValue: sampled201(wh) }],
      },
      station,
    );
  }
  if (roll < 75) return ocppLine('ocpp2.0.1', 'MeterValues', { evseId: 1, meterValue: [{ timestamp: iso(clock), sampledValue: sampled201(wh) }] }, station);
  if (roll < 80) return ocppLine('ocpp2.0.1', 'Authorize', { idToken: { idToken: c.uid, type: 'ISO14443' } }, station);
  if (roll < 88) return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'sessions', object: session(roll >= 85), receivedAt: iso(clock) });
  if (roll < 93) return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module: 'cdrs', object: cdr(), receivedAt: iso(clock) });
  if (roll < 97) return ocppLine('ocpp1.6', 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' }, station);
  return ocppLine('ocpp2.0.1', 'Heartbeat', {}, station);
}

async function main(): Promise<void> {
  const core = (await import(pathToFileURL(path.join(DIST, 'index.js')).href)) as typeof Core;
  const parser = core.createInputParser({ schemaDir: path.resolve(DIST, '../../../schemas') });
  const policy = core.parsePolicy(readFileSync(core.DEFAULT_POLICY_FILE, 'utf8'), core.CATALOG);
  const tokens = new WarmKeyRing();
  const transform = new core.Transform({ catalog: core.CATALOG, policy, tokens, parse: parser.parse, audiences: ['analytics'] });

  // Kafka hands the processor Buffers.
  const values = Array.from({ length: EVENTS }, () => Buffer.from(event()));
  const bytes = values.reduce((n, v) => n + v.length, 0);
  const batches: Core.InputRecord[][] = [];
  for (let i = 0; i < values.length; i += BATCH) {
    batches.push(values.slice(i, i + BATCH).map((value, j) => ({ value, eventId: `bench:0:${i + j}` })));
  }

  const pass = async () => {
    const counts: Record<string, number> = {};
    const start = process.hrtime.bigint();
    for (const batch of batches) {
      for (const r of await transform.run(batch)) {
        const key = r.status === 'quarantined' ? `quarantined:${r.reason}` : r.status === 'skipped' ? `skipped:${r.why}` : r.status;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, counts };
  };

  // Pass 1 is cold: Ajv compiles each OCPP schema on its first message, V8 warms up, the key ring fills.
  const cold = await pass();
  const missesCold = tokens.misses;
  const warm = await pass();
  const parseStart = process.hrtime.bigint();
  for (const v of values) parser.parse(v);
  const parseSeconds = Number(process.hrtime.bigint() - parseStart) / 1e9;

  const rate = (s: number) => Math.round(EVENTS / s).toLocaleString('en');
  process.stdout.write(
    `${JSON.stringify(
      {
        events: EVENTS,
        batch: BATCH,
        meanEventBytes: Math.round(bytes / EVENTS),
        outcomes: warm.counts,
        subjects: missesCold,
        coldPass: { seconds: cold.seconds.toFixed(3), eventsPerSecond: rate(cold.seconds) },
        warmPass: { seconds: warm.seconds.toFixed(3), eventsPerSecond: rate(warm.seconds) },
        parseOnly: { seconds: parseSeconds.toFixed(3), eventsPerSecond: rate(parseSeconds), shareOfWarmPass: `${Math.round((100 * parseSeconds) / warm.seconds)}%` },
        node: process.version,
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
