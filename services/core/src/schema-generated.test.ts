import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { analyticsType } from '@ampseal/schemas/codec';
import { CANONICAL_FIELDS, IDENTIFIER_KINDS, LINK_FIELDS, QUANTITY_FIELDS, COORDINATE_FIELDS, SITE_FIELDS, TIME_FIELDS } from './index';

// The analytics record is defined once, in schemas/avro/charging-session-event.avsc; the core's field lists, enums
// and record type are generated from it (schemas/scripts/generate.mjs) and the generated module is committed.
describe('the analytics definitions generated from the Avro schema', () => {
  it('are current: the committed module is what the schema gives (else run `npm run generate -w @ampseal/schemas`)', () => {
    const script = path.join(path.dirname(require.resolve('@ampseal/schemas/package.json')), 'scripts', 'generate.mjs');
    // --check renders in memory and compares; it exits non-zero (and execFileSync throws) when the file is stale.
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('describe the record the codec compiles: canonical fields, identifier kinds and policy classes', () => {
    const type = analyticsType() as unknown as { fields: Array<{ name: string; type: { itemsType?: { fields: Array<{ name: string; type: { symbols?: string[] } }> } } }> };
    const names = type.fields.map((f) => f.name);
    expect(names.slice(names.indexOf('action') + 1, names.indexOf('identifiers'))).toEqual([...CANONICAL_FIELDS]);
    const identifier = type.fields.find((f) => f.name === 'identifiers')!.type.itemsType!;
    expect(identifier.fields.find((f) => f.name === 'kind')!.type.symbols).toEqual([...IDENTIFIER_KINDS]);
    // The policy classes the schema declares are the ones the generalizers were written for.
    expect(Object.keys(LINK_FIELDS)).toEqual(['stationId', 'transactionId', 'reservationId', 'locationId', 'evseUid']);
    expect([...QUANTITY_FIELDS]).toEqual(['meterWh', 'energyKwh', 'stateOfChargePercent', 'totalCost']);
    expect([...COORDINATE_FIELDS]).toEqual(['latitude', 'longitude']);
    expect([...SITE_FIELDS]).toEqual(['locationId', 'evseUid', 'city', 'latitude', 'longitude']);
    expect([...TIME_FIELDS]).toEqual(['receivedAt', 'eventTime', 'startTime', 'endTime']);
  });

  it('compile once: every caller shares one codec', () => {
    expect(analyticsType()).toBe(analyticsType());
  });
});
