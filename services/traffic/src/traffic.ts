import { isTenant, TENANT_RULE } from '@ampseal/core';
import { malformedRecord } from './malformed';
import { StationChatter } from './noise';
import { type Card, type Connector, createPopulation, MAX_STATIONS, type Party, type Population, type Station } from './population';
import { createRandom, type Random } from './random';
import type { TrafficRecord } from './record';
import { Schedule, type Scheduled } from './schedule';
import { Session, type SessionHost } from './sessions/session';
import { MINUTE, SECOND } from './time';

/**
 * The traffic of one CPO as its raw topics carry it: many stations, many concurrent sessions interleaved in
 * time order, station chatter in between, and optionally malformed records. A discrete-event simulation: each
 * flow (a session, a station's chatter, a pending arrival) sits in one agenda by the time of its next record.
 * Deterministic for a seed: one PRNG stream drives the population, one the valid traffic, one the malformed
 * records (so raising the malformed rate injects records without changing the valid ones).
 */

export interface TrafficOptions {
  seed: number;
  /** Stations, 1 to 9999 (ids are `CP-<4 digits>`). Default 250. */
  stations?: number;
  /** Cards (and app users, Autocharge vehicles, Plug & Charge contracts). Default 10,000. */
  cards?: number;
  /** Share of records that are malformed, 0 to 1. Default 0. */
  malformedRate?: number;
  /** Simulation start, epoch ms. Default 2026-11-24T06:00:00Z (fixed: the stream must not depend on the clock). */
  startTime?: number;
  /** Tenant of every envelope. Default `acme-cpo`. */
  tenant?: string;
}

export type ResolvedTrafficOptions = Readonly<Required<TrafficOptions>>;

export interface Traffic {
  /** The next record (the stream is infinite). */
  next(): TrafficRecord;
  /** The next `n` records. */
  take(n: number): TrafficRecord[];
  /** The stations and cards behind the stream (read-only). */
  readonly population: Population;
  readonly options: ResolvedTrafficOptions;
  /** Simulation time of the last record, epoch ms. */
  readonly now: number;
}

export const TRAFFIC_DEFAULTS = Object.freeze({
  stations: 250,
  cards: 10_000,
  malformedRate: 0,
  startTime: Date.UTC(2026, 10, 24, 6, 0, 0),
  tenant: 'acme-cpo',
});

/** Share of connectors busy at any time: a busy urban CPO in the evening peak. */
const OCCUPANCY = 0.3;
/** Share of all drivers charging at the same time, at most. */
const DRIVERS_AT_ONCE = 0.05;
/** RFC 3339 needs a four-digit year. */
const LATEST_START = Date.UTC(9000, 0, 1);

export function createTraffic(options: TrafficOptions): Traffic {
  return new TrafficGenerator(resolve(options));
}

function resolve(options: TrafficOptions): ResolvedTrafficOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('createTraffic needs an options object');
  const resolved = { ...TRAFFIC_DEFAULTS, ...stripUndefined(options) } as Required<TrafficOptions>;
  const { seed, stations, cards, malformedRate, startTime, tenant } = resolved;
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be a safe integer');
  if (!Number.isSafeInteger(stations) || stations < 1 || stations > MAX_STATIONS) {
    throw new RangeError(`stations must be an integer from 1 to ${MAX_STATIONS}`);
  }
  if (!Number.isSafeInteger(cards) || cards < 1 || cards > 10_000_000) throw new RangeError('cards must be an integer from 1 to 10,000,000');
  if (typeof malformedRate !== 'number' || !(malformedRate >= 0 && malformedRate <= 1)) {
    throw new RangeError('malformedRate must be a number from 0 to 1');
  }
  if (!Number.isSafeInteger(startTime) || startTime < 0 || startTime > LATEST_START) {
    throw new RangeError('startTime must be epoch milliseconds between 1970 and 9000');
  }
  if (!isTenant(tenant)) throw new RangeError(`tenant must be ${TENANT_RULE}`);
  return Object.freeze(resolved);
}

function stripUndefined(options: TrafficOptions): Partial<TrafficOptions> {
  const out: Partial<TrafficOptions> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}

interface Flow extends Scheduled {
  readonly done: boolean;
  step(): TrafficRecord | undefined;
}

/** A driver on the way to a charger: becomes a session when a card and a free connector are found. */
class Arrival implements Flow {
  order = 0;
  done = false;
  constructor(
    private readonly generator: TrafficGenerator,
    public at: number,
  ) {}

  step(): undefined {
    this.generator.arrive(this);
    return undefined;
  }
}

class TrafficGenerator implements Traffic, SessionHost {
  readonly population: Population;
  readonly options: ResolvedTrafficOptions;
  readonly tenant: string;
  readonly cpo: Party;
  readonly rng: Random;
  private readonly malformedRng: Random;
  private readonly malformedRate: number;
  private readonly schedule = new Schedule<Flow>();
  private clock: number;

  private readonly connectorBusyFlags: Uint8Array;
  private readonly meterWh: Float64Array;
  private readonly cardBusy: Uint8Array;
  private readonly cardSeen: Uint8Array;
  private readonly messageCounters: Uint32Array;
  private transactionCounter: number;
  private remoteStartCounter: number;
  private cdrCounter: number;

  constructor(options: ResolvedTrafficOptions) {
    this.options = options;
    this.tenant = options.tenant;
    this.population = createPopulation({ seed: options.seed, stations: options.stations, cards: options.cards, tenant: options.tenant });
    this.cpo = this.population.cpo;
    this.rng = createRandom(options.seed, 2);
    this.malformedRng = createRandom(options.seed, 3);
    this.malformedRate = options.malformedRate;
    this.clock = options.startTime;

    const population = this.population;
    this.connectorBusyFlags = new Uint8Array(population.connectorCount);
    this.meterWh = new Float64Array(population.connectorCount);
    for (const station of population.stations) {
      for (const connector of station.connectors) this.meterWh[connector.slot] = connector.initialMeterWh;
    }
    this.cardBusy = new Uint8Array(population.cards.length);
    this.cardSeen = new Uint8Array(population.cards.length);
    this.messageCounters = new Uint32Array(population.stations.length);
    for (let i = 0; i < this.messageCounters.length; i++) this.messageCounters[i] = this.rng.int(1, 90_000);
    this.transactionCounter = this.rng.int(100_000, 900_000);
    this.remoteStartCounter = this.rng.int(1_000, 9_000);
    this.cdrCounter = this.rng.int(10_000, 90_000);

    const noiseHost = {
      tenant: this.tenant,
      rng: this.rng,
      messageId: (station: Station) => this.messageId(station),
      connectorBusy: (slot: number) => this.connectorBusyFlags[slot] === 1,
      randomCard: () => this.rng.pick(population.cards),
    };
    for (const station of population.stations) this.schedule.push(new StationChatter(noiseHost, station, options.startTime));

    // Ramp up: the target number of concurrent sessions plug in over the first half hour. Never more than 5% of
    // the drivers at once: otherwise the frequent drivers are always busy and the repeat-driver skew flattens.
    const target = Math.max(1, Math.min(Math.round(population.connectorCount * OCCUPANCY), Math.floor(population.cards.length * DRIVERS_AT_ONCE)));
    for (let i = 0; i < target; i++) this.schedule.push(new Arrival(this, options.startTime + Math.round(this.rng.float() * 30 * MINUTE)));
  }

  get now(): number {
    return this.clock;
  }

  next(): TrafficRecord {
    if (this.malformedRate > 0 && this.malformedRng.float() < this.malformedRate) {
      return malformedRecord(this.malformedRng, this.tenant, this.population, this.clock);
    }
    const schedule = this.schedule;
    for (;;) {
      const flow = schedule.peek()!;
      this.clock = flow.at;
      const record = flow.step();
      if (flow.done) schedule.pop();
      else schedule.rescheduleTop();
      if (record !== undefined) return record;
    }
  }

  take(n: number): TrafficRecord[] {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('take(n) needs a non-negative integer');
    const out = new Array<TrafficRecord>(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }

  /** Finds a card that is not charging and a free connector for it, or retries a little later. */
  arrive(arrival: Arrival): void {
    const rng = this.rng;
    const population = this.population;
    let card: Card | undefined;
    for (let attempt = 0; attempt < 4 && card === undefined; attempt++) {
      const candidate = population.cards[population.cardRank.pick(rng)]!;
      if (this.cardBusy[candidate.index] === 0) card = candidate;
    }
    const found = card === undefined ? undefined : this.findConnector(card);
    if (card === undefined || found === undefined) {
      arrival.at += Math.round(rng.range(30, 300) * SECOND);
      return;
    }
    arrival.done = true;
    const [station, connector] = found;
    this.connectorBusyFlags[connector.slot] = 1;
    this.cardBusy[card.index] = 1;
    this.schedule.push(new Session(this, card, station, connector, arrival.at, Math.round(this.meterWh[connector.slot]!)));
  }

  private findConnector(card: Card): [Station, Connector] | undefined {
    const rng = this.rng;
    const population = this.population;
    if (card.homeStation !== undefined && rng.chance(0.6)) {
      const home = population.stations[card.homeStation]!;
      const connector = this.freeConnector(home);
      if (connector !== undefined) return [home, connector];
    }
    // Plug & Charge needs ISO 15118 with OCPP 2.0.1; Autocharge is a DC feature. Fall back to any public station.
    let candidates = population.publicStations;
    if (card.type === 'emaid' && population.public201Stations.length > 0) candidates = population.public201Stations;
    else if (card.type === 'autocharge' && population.publicDcStations.length > 0) candidates = population.publicDcStations;
    for (let pass = 0; pass < 2; pass++) {
      for (let attempt = 0; attempt < 12; attempt++) {
        const station = population.stations[rng.pick(candidates)]!;
        const connector = this.freeConnector(station);
        if (connector !== undefined) return [station, connector];
      }
      candidates = population.publicStations;
    }
    return undefined;
  }

  private freeConnector(station: Station): Connector | undefined {
    const connectors = station.connectors;
    const start = connectors.length === 1 ? 0 : this.rng.int(0, connectors.length - 1);
    for (let i = 0; i < connectors.length; i++) {
      const connector = connectors[(start + i) % connectors.length]!;
      if (this.connectorBusyFlags[connector.slot] === 0) return connector;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- SessionHost

  messageId(station: Station): string {
    if (station.uuidMessageIds) return this.rng.uuid();
    const id = this.messageCounters[station.index]!;
    this.messageCounters[station.index] = id + 1;
    return String(id);
  }

  nextTransactionId(): number {
    return this.transactionCounter++;
  }

  nextRemoteStartId(): number {
    return this.remoteStartCounter++;
  }

  nextCdrId(): string {
    return `${this.cpo.partyId}C${String(this.cdrCounter++).padStart(9, '0')}`;
  }

  firstSight(card: Card): boolean {
    if (this.cardSeen[card.index] === 1) return false;
    this.cardSeen[card.index] = 1;
    return true;
  }

  unplugged(session: Session, meterWh: number): void {
    this.connectorBusyFlags[session.connector.slot] = 0;
    this.cardBusy[session.card.index] = 0;
    this.meterWh[session.connector.slot] = meterWh;
    // The next driver: arrivals keep the number of concurrent sessions near the target.
    this.schedule.push(new Arrival(this, this.clock + Math.round(this.rng.exponential(90) * SECOND)));
  }
}
