import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REFERENCE } from '../__fixtures__/envelopes';
import type { OcpiModule } from '../catalog/types';
import type { AmpsealError } from '../errors';
import { createOcpiValidators, ocpiSpecShape, type OcpiValidators, type SpecShape } from './ocpi';
import { DEFAULT_SCHEMA_DIR } from './schema-dir';

const EXAMPLES = path.join(REFERENCE, 'ocpi221', 'examples');

function example(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(EXAMPLES, name), 'utf8')) as Record<string, unknown>;
}

function reasonOf(error: AmpsealError | undefined): string {
  return error === undefined ? 'valid' : error.reason;
}

let validators: OcpiValidators;
beforeAll(() => {
  validators = createOcpiValidators();
});

describe('OCPI 2.2.1 examples (the official ones, vendored)', () => {
  test.each([
    ['sessions', 'session_example_1_simple_start.json'],
    ['sessions', 'session_example_2_short_finished.json'],
    ['cdrs', 'cdr_example.json'],
    ['tokens', 'token_example_1_app_user.json'],
    ['tokens', 'token_example_2_full_rfid.json'],
    ['tokens', 'token_put_example.json'],
  ] as const)('the complete %s object %s validates', (module, file) => {
    expect(reasonOf(validators.validate(module, example(file)))).toBe('valid');
  });

  // The PATCH examples are partial objects: they validate as PATCH bodies, and fail as complete objects.
  test.each([
    ['sessions', 'session_patch_example_charging_period.json'],
    ['sessions', 'session_patch_example_total_cost.json'],
    ['tokens', 'token_patch_example.json'],
  ] as const)('the %s PATCH example %s validates as a PATCH only', (module, file) => {
    expect(reasonOf(validators.validatePatch(module, example(file)))).toBe('valid');
    expect(reasonOf(validators.validate(module, example(file)))).toBe('schema_violation');
  });

  test('a PATCH without last_updated, or with an incomplete nested value, fails', () => {
    expect(reasonOf(validators.validatePatch('tokens', { valid: false }))).toBe('schema_violation');
    const patch = { last_updated: '2019-06-23T08:11:00Z', total_cost: { incl_vat: 0.66 } };
    expect(reasonOf(validators.validatePatch('sessions', patch))).toBe('schema_violation');
  });

  test.each(['cdr_location', 'total_cost', 'charging_periods', 'end_date_time', 'last_updated'])(
    'a CDR without the required %s fails with "/ required"',
    (field) => {
      const cdr = example('cdr_example.json');
      delete cdr[field];
      const error = validators.validate('cdrs', cdr);
      expect(error?.reason).toBe('schema_violation');
      expect(error?.message).toMatch(/: \/ required$/);
    },
  );

  test('a CDR with an empty charging_periods list (Card. +) or a cdr_token without uid fails', () => {
    expect(reasonOf(validators.validate('cdrs', { ...example('cdr_example.json'), charging_periods: [] }))).toBe(
      'schema_violation',
    );
    const cdr = example('cdr_example.json');
    const { uid: _uid, ...token } = cdr.cdr_token as Record<string, unknown>;
    const error = validators.validate('cdrs', { ...cdr, cdr_token: token });
    expect(error?.message).toMatch(/: \/cdr_token required$/);
  });

  test('a CDR with signed_data validates; a SignedData without signed_values does not', () => {
    const signedData = {
      encoding_method: 'OCMF',
      signed_values: [{ nature: 'Start', plain_data: 'OCMF|{}', signed_data: 'MEUCIQ==' }],
    };
    expect(reasonOf(validators.validate('cdrs', { ...example('cdr_example.json'), signed_data: signedData }))).toBe('valid');
    const { signed_values: _values, ...withoutValues } = signedData;
    expect(reasonOf(validators.validate('cdrs', { ...example('cdr_example.json'), signed_data: withoutValues }))).toBe(
      'schema_violation',
    );
  });

  test('vendor extensions are allowed at validation (the audience code drops them)', () => {
    const session = { ...example('session_example_1_simple_start.json'), x_vendor: { anything: [1, 2, 3] } };
    expect(reasonOf(validators.validate('sessions', session))).toBe('valid');
  });

  test('enums, CiString lengths, GeoLocation and DateTime are checked', () => {
    const session = example('session_example_1_simple_start.json');
    expect(reasonOf(validators.validate('sessions', { ...session, status: 'FINISHED' }))).toBe('schema_violation');
    const longUid = { ...(session.cdr_token as object), uid: 'U'.repeat(37) };
    expect(validators.validate('sessions', { ...session, cdr_token: longUid })?.message).toMatch(/\/cdr_token\/uid maxLength$/);
    expect(reasonOf(validators.validate('sessions', { ...session, country_code: 'N\tL' }))).toBe('schema_violation');
    // OCPI DateTime: UTC, the designator may be omitted; offsets are not allowed.
    expect(reasonOf(validators.validate('sessions', { ...session, last_updated: '2020-03-09T10:17:09.123' }))).toBe('valid');
    expect(reasonOf(validators.validate('sessions', { ...session, last_updated: '2020-03-09T10:17:09+01:00' }))).toBe(
      'schema_violation',
    );
    const cdr = example('cdr_example.json');
    const location = cdr.cdr_location as Record<string, unknown>;
    const badCoordinates = { ...location, coordinates: { latitude: '51.0', longitude: '3.729944' } };
    expect(reasonOf(validators.validate('cdrs', { ...cdr, cdr_location: badCoordinates }))).toBe('schema_violation');
  });

  test('the Tariff in a CDR is typed at its top level and loose below', () => {
    const cdr = example('cdr_example.json');
    const tariff = (cdr.tariffs as Record<string, unknown>[])[0]!;
    const looseElement = { price_components: [{ type: 'NOT_A_DIMENSION', price: 1, step_size: 1 }], x_vendor: true };
    expect(reasonOf(validators.validate('cdrs', { ...cdr, tariffs: [{ ...tariff, elements: [looseElement] }] }))).toBe('valid');
    const { currency: _currency, ...withoutCurrency } = tariff;
    expect(reasonOf(validators.validate('cdrs', { ...cdr, tariffs: [withoutCurrency] }))).toBe('schema_violation');
    expect(reasonOf(validators.validate('cdrs', { ...cdr, tariffs: [{ ...tariff, type: 'CHEAP' }] }))).toBe('schema_violation');
  });
});

describe('OCPI schema files', () => {
  test.each(['Session.json', 'CDR.json', 'Token.json'])('%s says it is derived by ampseal and not official', (file) => {
    const schema = JSON.parse(readFileSync(path.join(DEFAULT_SCHEMA_DIR, 'ocpi/2.2.1', file), 'utf8')) as {
      description: string;
      $schema: string;
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.description).toContain('Derived by ampseal from the OCPI 2.2.1 specification');
    expect(schema.description).toContain('NOT an official OCPI schema');
    expect(schema.description).toContain('Required top-level properties:');
  });
});

/**
 * Cross-checks the hand-derived schemas against the spec text itself: every row of each field table is a
 * property, Card. 1/+ rows (and only those) are required, CiString(n)/string(n) give maxLength n, and enum
 * tables give the enum values.
 */
const SPEC = path.join(REFERENCE, 'ocpi221', 'spec');

function specTable(doc: string, heading: string): string[][] {
  const lines = readFileSync(path.join(SPEC, doc), 'utf8').split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`${heading} not found in ${doc}`);
  const open = lines.indexOf('|===', start);
  const close = lines.indexOf('|===', open + 1);
  return lines
    .slice(open + 2, close) // skip the header row
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|').slice(1).map((cell) => cell.trim()));
}

type Node = { $ref?: string; properties?: Record<string, Node>; required?: string[]; items?: Node; maxLength?: number; enum?: string[]; type?: string };

describe('OCPI schemas against the spec tables (the official AsciiDoc, vendored)', () => {
  const CLASSES: readonly [module: OcpiModule, definition: string | null, doc: string, heading: string][] = [
    ['sessions', null, 'mod_sessions.asciidoc', '==== _Session_ Object'],
    ['cdrs', null, 'mod_cdrs.asciidoc', '==== _CDR_ Object'],
    ['tokens', null, 'mod_tokens.asciidoc', '==== _Token_ Object'],
    ['sessions', 'CdrToken', 'mod_cdrs.asciidoc', '==== CdrToken _class_'],
    ['sessions', 'ChargingPeriod', 'mod_cdrs.asciidoc', '==== ChargingPeriod _class_'],
    ['sessions', 'CdrDimension', 'mod_cdrs.asciidoc', '==== CdrDimension _class_'],
    ['sessions', 'Price', 'types.asciidoc', '=== Price _class_'],
    ['cdrs', 'CdrToken', 'mod_cdrs.asciidoc', '==== CdrToken _class_'],
    ['cdrs', 'ChargingPeriod', 'mod_cdrs.asciidoc', '==== ChargingPeriod _class_'],
    ['cdrs', 'CdrDimension', 'mod_cdrs.asciidoc', '==== CdrDimension _class_'],
    ['cdrs', 'CdrLocation', 'mod_cdrs.asciidoc', '==== CdrLocation _class_'],
    ['cdrs', 'GeoLocation', 'mod_locations.asciidoc', '==== GeoLocation _class_'],
    ['cdrs', 'SignedData', 'mod_cdrs.asciidoc', '==== SignedData _class_'],
    ['cdrs', 'SignedValue', 'mod_cdrs.asciidoc', '==== SignedValue _class_'],
    ['cdrs', 'Price', 'types.asciidoc', '=== Price _class_'],
    ['tokens', 'EnergyContract', 'mod_tokens.asciidoc', '==== EnergyContract _class_'],
  ];

  test.each(CLASSES)('%s %s: properties, required and lengths follow %s "%s"', (module, definition, doc, heading) => {
    const root = validators.schema(module) as Node & { definitions: Record<string, Node> };
    const node = definition === null ? root : root.definitions[definition]!;
    const rows = specTable(doc, heading);
    expect(Object.keys(node.properties ?? {})).toEqual(rows.map((row) => row[0]));
    expect(node.required ?? []).toEqual(rows.filter((row) => row[2] === '1' || row[2] === '+').map((row) => row[0]));
    for (const [name, type, card] of rows) {
      let property = node.properties![name!]!;
      if (card === '*' || card === '+') {
        expect(property.type).toBe('array');
        property = property.items!;
      }
      const sized = /(CiString|string)>>\((\d+)\)/.exec(type!);
      if (sized) expect([name, property.maxLength]).toEqual([name, Number(sized[2])]);
      if (type!.includes('DateTime')) expect([name, property.maxLength]).toEqual([name, 25]);
    }
  });

  const ENUMS: readonly [module: OcpiModule, definition: string, doc: string, heading: string][] = [
    ['sessions', 'SessionStatus', 'mod_sessions.asciidoc', '==== SessionStatus _enum_'],
    ['sessions', 'AuthMethod', 'mod_cdrs.asciidoc', '==== AuthMethod _enum_'],
    ['sessions', 'TokenType', 'mod_tokens.asciidoc', '==== TokenType _enum_'],
    ['sessions', 'CdrDimensionType', 'mod_cdrs.asciidoc', '==== CdrDimensionType _enum_'],
    ['cdrs', 'ConnectorType', 'mod_locations.asciidoc', '==== ConnectorType _enum_'],
    ['cdrs', 'ConnectorFormat', 'mod_locations.asciidoc', '==== ConnectorFormat _enum_'],
    ['cdrs', 'PowerType', 'mod_locations.asciidoc', '==== PowerType _enum_'],
    ['tokens', 'WhitelistType', 'mod_tokens.asciidoc', '==== WhitelistType _enum_'],
    ['tokens', 'ProfileType', 'mod_sessions.asciidoc', '==== ProfileType _enum_'],
  ];

  test.each(ENUMS)('%s %s lists the values of %s "%s"', (module, definition, doc, heading) => {
    const root = validators.schema(module) as { definitions: Record<string, Node> };
    const values = specTable(doc, heading).map((row) => row[0]);
    expect(root.definitions[definition]!.enum).toEqual(values);
  });
});

describe('ocpiSpecShape', () => {
  const keys = (shape: SpecShape | true | undefined): string[] => (shape === true || shape === undefined ? [] : Object.keys(shape));

  test.each(['sessions', 'cdrs', 'tokens'] as const)('%s: lists every property of the schema at the top level', (module: OcpiModule) => {
    const schema = validators.schema(module);
    expect(keys(ocpiSpecShape(module))).toEqual(Object.keys(schema.properties as object));
  });

  test('nests objects and arrays of objects, and keeps scalars and arrays of scalars whole', () => {
    const session = ocpiSpecShape('sessions');
    expect(keys(session.cdr_token)).toEqual(['country_code', 'party_id', 'uid', 'type', 'contract_id']);
    expect(keys((session.charging_periods as SpecShape).dimensions)).toEqual(['type', 'volume']);
    expect(session.kwh).toBe(true);
    expect(keys(session.total_cost)).toEqual(['excl_vat', 'incl_vat']);

    const cdr = ocpiSpecShape('cdrs');
    expect(keys((cdr.cdr_location as SpecShape).coordinates)).toEqual(['latitude', 'longitude']);
    expect(keys(cdr.signed_data)).toEqual(['encoding_method', 'encoding_method_version', 'public_key', 'signed_values', 'url']);
    expect(keys((cdr.signed_data as SpecShape).signed_values)).toEqual(['nature', 'plain_data', 'signed_data']);
    const elements = (cdr.tariffs as SpecShape).elements as SpecShape;
    expect(keys(elements.price_components)).toEqual(['type', 'price', 'vat', 'step_size']);
    expect((elements.restrictions as SpecShape).day_of_week).toBe(true);

    const token = ocpiSpecShape('tokens');
    expect(keys(token.energy_contract)).toEqual(['supplier_name', 'contract_id']);
    expect(Object.isFrozen(token)).toBe(true);
  });

  test('is cached per module', () => {
    expect(ocpiSpecShape('cdrs')).toBe(ocpiSpecShape('cdrs'));
  });
});
