import { readFileSync } from 'node:fs';
import { CATALOG, DEFAULT_POLICY_FILE, Transform, createInputParser, parsePolicy, type Audience, type TokenSource } from '@ampseal/core';

/** The production transform (default policy, real validators) over a given key ring. */
export function transformWith(tokens: TokenSource, audiences: Audience[] = ['analytics']): Transform {
  return new Transform({
    catalog: CATALOG,
    policy: parsePolicy(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), CATALOG),
    tokens,
    parse: createInputParser().parse,
    audiences,
  });
}

/** One OCPP 1.6 Authorize envelope for `idTag`. */
export function authorizeEnvelope(idTag: string, receivedAt = new Date().toISOString(), stationId = 'CP-1'): string {
  return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpp1.6', stationId, receivedAt, action: 'Authorize', frame: [2, '1', 'Authorize', { idTag }] });
}
