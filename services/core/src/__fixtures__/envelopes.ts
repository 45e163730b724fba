import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Verbatim OCPI 2.2.1 examples and spec text, vendored with their attribution (reference/README.md). */
export const REFERENCE = join(__dirname, 'reference');

export function ocpiExample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REFERENCE, 'ocpi221', 'examples', name), 'utf8'));
}

export function ocpp(
  source: 'ocpp1.6' | 'ocpp2.0.1',
  action: string,
  payload: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    tenant: 'acme-cpo',
    source,
    stationId: 'CP-0042',
    receivedAt: '2026-11-24T10:00:03.120Z',
    action,
    frame: [2, '19223201', action, payload],
    ...extra,
  });
}

export function ocppResult(source: 'ocpp1.6' | 'ocpp2.0.1', action: string, payload: Record<string, unknown>): string {
  return JSON.stringify({
    tenant: 'acme-cpo',
    source,
    stationId: 'CP-0042',
    receivedAt: '2026-11-24T10:00:04.000Z',
    action,
    frame: [3, '19223201', payload],
  });
}

export function ocpi(module: 'sessions' | 'cdrs' | 'tokens', object: Record<string, unknown>): string {
  return JSON.stringify({ tenant: 'acme-cpo', source: 'ocpi2.2.1', module, object });
}
