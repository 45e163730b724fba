/** @ampseal/traffic: a seeded generator of realistic CPO traffic (design §10). No runtime dependencies. */
export { createTraffic, TRAFFIC_DEFAULTS, type ResolvedTrafficOptions, type Traffic, type TrafficOptions } from './traffic';
export {
  MALFORMED_REASONS,
  OCPI_TOPIC,
  OCPP_TOPIC,
  SUBJECT_KINDS,
  type MalformedReason,
  type SubjectKind,
  type TrafficRecord,
  type TrafficSubject,
  type TrafficTopic,
} from './record';
export { createPopulation, type Card, type CardType, type Party, type Population, type Station } from './population';
export { createRandom, Random, weighted, zipf, type RankPick, type WeightedPick } from './random';
