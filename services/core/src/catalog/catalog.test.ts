import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { IDENTIFIER_KINDS } from '../identifiers';
import {
  ANALYTICS_EVENT_TYPES,
  CANONICAL_FIELDS,
  CATALOG,
  catalogEntry,
  catalogKey,
  type FieldRule,
  type MessageCatalog,
} from './index';

// ---------------------------------------------------------------------------------------------------------------
// Schema access. The OCPP schemas are the verbatim OCA files under schemas/vendor/; the OCPI ones are derived by
// ampseal from the spec tables (schemas/ocpi/2.2.1/) and may not exist yet.

type Schema = { [key: string]: unknown };

const ROOT = resolve(__dirname, '../../../..');
const VENDOR = join(ROOT, 'schemas/vendor');
const OCPI_DIR = join(ROOT, 'schemas/ocpi/2.2.1');
const OCPI_SCHEMA_FILES: Record<string, string> = { sessions: 'Session.json', cdrs: 'CDR.json', tokens: 'Token.json' };

function readJson(file: string): Schema {
  return JSON.parse(readFileSync(file, 'utf8')) as Schema;
}

function ocppSchemaFile(entry: MessageCatalog): string {
  if (entry.source === 'ocpp1.6') {
    const name = `${entry.message}${entry.direction === 'conf' ? 'Response' : ''}.json`;
    const candidates = [join(VENDOR, 'ocpp16/schemas', name), join(VENDOR, 'ocpp16/security-extension-schemas', name)];
    const found = candidates.find((file) => existsSync(file));
    if (!found) throw new Error(`no OCPP 1.6 schema for ${entry.key}`);
    return found;
  }
  return join(VENDOR, 'ocpp201/schemas', `${entry.message}${entry.direction === 'conf' ? 'Response' : 'Request'}.json`);
}

/** Follows local `$ref`s (`#/definitions/X`, `#/$defs/X`), as all these schemas use. */
function deref(root: Schema, node: Schema): Schema {
  let current = node;
  for (let hops = 0; typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref loop at ${current.$ref}`);
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`non-local $ref ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as Schema)[part];
    if (!target || typeof target !== 'object') throw new Error(`unresolved $ref ${ref}`);
    current = target as Schema;
  }
  return current;
}

const props = (node: Schema): Record<string, Schema> | undefined => node.properties as Record<string, Schema> | undefined;
const isObject = (node: Schema): boolean => node.type === 'object' || props(node) !== undefined;
/** An object schema that names no properties and does not forbid others accepts any sub-path. */
const isOpenObject = (node: Schema): boolean => isObject(node) && !props(node) && node.additionalProperties !== false;

/** Every leaf path of a schema, `customData` aside, in the catalog's notation (`a.b[].c`, `evseId[]`). */
function schemaLeafPaths(root: Schema): string[] {
  const out: string[] = [];
  const walk = (raw: Schema, path: string, depth: number): void => {
    if (depth > 24) throw new Error(`schema too deep at ${path}`);
    const node = deref(root, raw);
    if (node.type === 'array') {
      const items = deref(root, node.items as Schema);
      if (isObject(items) && props(items)) walk(items, `${path}[]`, depth + 1);
      else out.push(`${path}[]`);
      return;
    }
    const properties = props(node);
    if (properties) {
      for (const [name, child] of Object.entries(properties)) {
        if (name !== 'customData') walk(child, path ? `${path}.${name}` : name, depth + 1);
      }
      return;
    }
    if (path) out.push(path); // a scalar, an enum, or an untyped value such as 2.0.1 DataTransfer.data
  };
  walk(root, '', 0);
  return out;
}

/** Why `path` does not name a leaf of `root`, or undefined when it does. Independent of schemaLeafPaths. */
function pathProblem(root: Schema, path: string): string | undefined {
  let node = deref(root, root);
  for (const segment of path.split('.')) {
    const array = segment.endsWith('[]');
    const name = array ? segment.slice(0, -2) : segment;
    if (isOpenObject(node)) return undefined;
    const child = props(node)?.[name];
    if (!child) return `no property '${name}'`;
    node = deref(root, child);
    if (array) {
      if (node.type !== 'array') return `'${name}' is not an array`;
      node = deref(root, node.items as Schema);
    } else if (node.type === 'array') {
      return `'${name}' is an array: write '${name}[]'`;
    }
  }
  if (isObject(node) && props(node)) return 'names an object, not a leaf';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog helpers.

const OCPP = CATALOG.filter((entry) => entry.source !== 'ocpi2.2.1');
const OCPI = CATALOG.filter((entry) => entry.source === 'ocpi2.2.1');

function entry(key: string): MessageCatalog {
  const found = CATALOG.find((candidate) => candidate.key === key);
  if (!found) throw new Error(`no catalog entry ${key}`);
  return found;
}

function rowsOf(key: string, path: string): FieldRule[] {
  const rows = entry(key).fields.filter((row) => row.path === path);
  if (rows.length === 0) throw new Error(`no row ${key} ${path}`);
  return rows;
}

function only(key: string, path: string): FieldRule {
  const rows = rowsOf(key, path);
  expect(rows).toHaveLength(1);
  return rows[0] as FieldRule;
}

/** The FieldRule.when contract: first matching row wins; `siblings` is the object that holds the field. */
function ruleFor(key: string, path: string, siblings: Record<string, unknown>): FieldRule {
  for (const row of rowsOf(key, path)) {
    const when = row.when;
    if (!when) return row;
    const value = siblings[when.sibling];
    if (value === when.equals || (value === undefined && when.orAbsent === true)) return row;
  }
  throw new Error(`no row of ${key} ${path} matches`);
}

const parentOf = (path: string): string => (path.includes('.') ? path.slice(0, path.lastIndexOf('.') + 1) : '');

// ---------------------------------------------------------------------------------------------------------------

describe('catalog coverage', () => {
  const REQUIRED = [
    ...[
      'Authorize:req', 'Authorize:conf', 'StartTransaction:req', 'StartTransaction:conf', 'StopTransaction:req',
      'StopTransaction:conf', 'MeterValues:req', 'BootNotification:req', 'StatusNotification:req', 'DataTransfer:req',
      'DataTransfer:conf', 'RemoteStartTransaction:req', 'ReserveNow:req', 'SendLocalList:req',
      'SecurityEventNotification:req', 'SignCertificate:req', 'Heartbeat:req', 'Heartbeat:conf',
    ].map((m) => `ocpp1.6:${m}`),
    ...[
      'Authorize:req', 'Authorize:conf', 'TransactionEvent:req', 'TransactionEvent:conf', 'MeterValues:req',
      'BootNotification:req', 'StatusNotification:req', 'DataTransfer:req', 'DataTransfer:conf',
      'NotifyEVChargingNeeds:req', 'Get15118EVCertificate:req', 'Get15118EVCertificate:conf',
      'GetCertificateStatus:req', 'GetCertificateStatus:conf', 'ReserveNow:req', 'RequestStartTransaction:req',
      'RequestStopTransaction:req', 'SendLocalList:req', 'CustomerInformation:req', 'NotifyCustomerInformation:req',
      'NotifyEvent:req', 'SetDisplayMessage:req', 'SecurityEventNotification:req', 'SignCertificate:req',
      'Heartbeat:req', 'Heartbeat:conf', 'CostUpdated:req',
    ].map((m) => `ocpp2.0.1:${m}`),
    'ocpi2.2.1:sessions',
    'ocpi2.2.1:cdrs',
    'ocpi2.2.1:tokens',
  ];

  test.each(REQUIRED)('catalogs every message pii-catalog.md §3–§5 names: %s', (key) => {
    expect(CATALOG.some((candidate) => candidate.key === key)).toBe(true);
  });

  test('catalogEntry finds an entry by source, message and direction, and nothing else', () => {
    expect(catalogEntry('ocpp1.6', 'Authorize', 'conf')).toBe(entry('ocpp1.6:Authorize:conf'));
    expect(catalogEntry('ocpp1.6', 'Authorize', 'req')).toBe(entry('ocpp1.6:Authorize:req'));
    expect(catalogEntry('ocpi2.2.1', 'cdrs')).toBe(entry('ocpi2.2.1:cdrs'));
    expect(catalogEntry('ocpp1.6', 'Authorize')).toBeUndefined();
    expect(catalogEntry('ocpp2.0.1', 'NoSuchAction', 'req')).toBeUndefined();
    expect(catalogEntry('ocpi2.2.1', 'locations')).toBeUndefined();
  });

  test('the catalog is frozen', () => {
    const first = CATALOG[0] as MessageCatalog;
    expect(Object.isFrozen(CATALOG)).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.fields)).toBe(true);
    expect(CATALOG.every((e) => e.fields.every((row) => Object.isFrozen(row)))).toBe(true);
  });
});

describe('OCPP catalog against the official schemas', () => {
  describe.each(OCPP.map((e) => [e.key, e] as const))('%s', (_key, message) => {
    const schema = readJson(ocppSchemaFile(message));

    test('every catalog path is a leaf of the schema ($ref resolved)', () => {
      const problems = [...new Set(message.fields.map((row) => row.path))]
        .map((path) => [path, pathProblem(schema, path)])
        .filter(([, problem]) => problem !== undefined);
      expect(problems).toEqual([]);
    });

    test('every leaf of the schema, customData aside, has a catalog row', () => {
      const catalogued = new Set(message.fields.map((row) => row.path));
      expect(schemaLeafPaths(schema).filter((path) => !catalogued.has(path))).toEqual([]);
    });
  });

  test('no catalog path reaches into customData', () => {
    const paths = OCPP.flatMap((e) => e.fields.map((row) => row.path));
    expect(paths.filter((path) => path.split('.').some((s) => s.replace('[]', '') === 'customData'))).toEqual([]);
  });
});

describe('OCPI catalog against schemas/ocpi/2.2.1', () => {
  for (const message of OCPI) {
    const file = join(OCPI_DIR, OCPI_SCHEMA_FILES[message.message] ?? `${message.message}.json`);
    if (!existsSync(file)) {
      test.skip(`${message.key}: skipped, ${file} does not exist (paths come from the spec tables)`, () => {});
      continue;
    }
    const schema = readJson(file);
    test(`${message.key}: every catalog path is a leaf of ${OCPI_SCHEMA_FILES[message.message]}`, () => {
      const problems = [...new Set(message.fields.map((row) => row.path))]
        .map((path) => [path, pathProblem(schema, path)])
        .filter(([, problem]) => problem !== undefined);
      expect(problems).toEqual([]);
    });
    test(`${message.key}: every leaf of ${OCPI_SCHEMA_FILES[message.message]} has a catalog row`, () => {
      const catalogued = new Set(message.fields.map((row) => row.path));
      expect(schemaLeafPaths(schema).filter((path) => !catalogued.has(path))).toEqual([]);
    });
  }
});

describe('catalog shape', () => {
  const KIND_RULES = new Set<string>([...IDENTIFIER_KINDS, 'idTag', 'idToken.type']);
  const rows = CATALOG.flatMap((e) => e.fields.map((row) => ({ key: e.key, row })));

  test('keys are unique and equal catalogKey(source, message, direction)', () => {
    expect(new Set(CATALOG.map((e) => e.key)).size).toBe(CATALOG.length);
    for (const e of CATALOG) expect(e.key).toBe(catalogKey(e.source, e.message, e.direction));
  });

  test('OCPP entries have a direction, OCPI entries none', () => {
    expect(OCPP.every((e) => e.direction === 'req' || e.direction === 'conf')).toBe(true);
    expect(OCPI.every((e) => e.direction === undefined)).toBe(true);
  });

  test('every direct row has a valid kind, and only direct rows have one', () => {
    expect(rows.filter(({ row }) => row.class === 'direct' && !KIND_RULES.has(row.kind ?? ''))).toEqual([]);
    expect(rows.filter(({ row }) => row.class !== 'direct' && row.kind !== undefined)).toEqual([]);
  });

  test('field values are canonical fields and event types are analytics event types', () => {
    const canonical = new Set<string>(CANONICAL_FIELDS);
    expect(rows.filter(({ row }) => row.field !== undefined && !canonical.has(row.field))).toEqual([]);
    const eventTypes = new Set<string>(ANALYTICS_EVENT_TYPES);
    expect(CATALOG.filter((e) => e.eventType !== undefined && !eventTypes.has(e.eventType))).toEqual([]);
  });

  test('only messages that yield an analytics record feed canonical fields', () => {
    expect(rows.filter(({ key, row }) => row.field !== undefined && entry(key).eventType === undefined)).toEqual([]);
  });

  test('rows of one path: conditional rows first, exactly one unconditional row last, no repeated condition', () => {
    for (const e of CATALOG) {
      const byPath = new Map<string, FieldRule[]>();
      for (const row of e.fields) byPath.set(row.path, [...(byPath.get(row.path) ?? []), row]);
      for (const [path, group] of byPath) {
        const label = `${e.key} ${path}`;
        expect([label, group.slice(0, -1).every((row) => row.when !== undefined)]).toEqual([label, true]);
        expect([label, group[group.length - 1]?.when]).toEqual([label, undefined]);
        const conditions = group.map((row) => JSON.stringify(row.when ?? null));
        expect([label, new Set(conditions).size]).toEqual([label, group.length]);
        // Rows of one path are adjacent, so the catalog reads like pii-catalog.md.
        const first = e.fields.indexOf(group[0] as FieldRule);
        expect([label, e.fields.slice(first, first + group.length)]).toEqual([label, group]);
      }
    }
  });

  test('conditions name fields the same message catalogs: `when` a sibling, `personalWhen` a root path', () => {
    for (const e of CATALOG) {
      const paths = new Set(e.fields.map((row) => row.path));
      for (const row of e.fields) {
        if (row.when) expect([e.key, row.path, paths.has(parentOf(row.path) + row.when.sibling)]).toEqual([e.key, row.path, true]);
        if (row.personalWhen) expect([e.key, row.path, paths.has(row.personalWhen.path)]).toEqual([e.key, row.path, true]);
        if (row.kind === 'idToken.type') expect([e.key, row.path, paths.has(`${parentOf(row.path)}type`)]).toEqual([e.key, row.path, true]);
      }
    }
  });

  test('every row cites its pii-catalog.md section', () => {
    const section: Record<string, string> = { 'ocpp1.6': '§3', 'ocpp2.0.1': '§4', 'ocpi2.2.1': '§5' };
    for (const e of CATALOG) {
      for (const row of e.fields) expect([e.key, row.path, row.note?.startsWith(`pii-catalog ${section[e.source]}`)]).toEqual([e.key, row.path, true]);
    }
  });
});

describe('classification spot checks (pii-catalog.md)', () => {
  test.each([
    // §3 OCPP 1.6
    ['ocpp1.6:Authorize:req', 'idTag', 'direct', 'idTag'],
    ['ocpp1.6:Authorize:conf', 'idTagInfo.parentIdTag', 'direct', 'group'],
    ['ocpp1.6:StartTransaction:conf', 'idTagInfo.parentIdTag', 'direct', 'group'],
    ['ocpp1.6:ReserveNow:req', 'parentIdTag', 'direct', 'group'],
    ['ocpp1.6:SendLocalList:req', 'localAuthorizationList[].idTag', 'direct', 'idTag'],
    ['ocpp1.6:BootNotification:req', 'iccid', 'direct', 'device'],
    ['ocpp1.6:BootNotification:req', 'imsi', 'direct', 'device'],
    ['ocpp1.6:BootNotification:req', 'chargePointSerialNumber', 'direct', 'device'],
    ['ocpp1.6:BootNotification:req', 'meterSerialNumber', 'direct', 'device'],
    ['ocpp1.6:BootNotification:req', 'chargePointVendor', 'operational', undefined],
    ['ocpp1.6:StartTransaction:req', 'reservationId', 'link', undefined],
    ['ocpp1.6:StatusNotification:req', 'info', 'freetext', undefined],
    ['ocpp1.6:SecurityEventNotification:req', 'techInfo', 'freetext', undefined],
    ['ocpp1.6:SignCertificate:req', 'csr', 'embedded', undefined],
    // §4 OCPP 2.0.1
    ['ocpp2.0.1:Authorize:req', 'idToken.idToken', 'direct', 'idToken.type'],
    ['ocpp2.0.1:Authorize:req', 'idToken.additionalInfo[].additionalIdToken', 'direct', 'extra'],
    ['ocpp2.0.1:Authorize:req', 'certificate', 'embedded', undefined],
    ['ocpp2.0.1:Authorize:req', 'iso15118CertificateHashData[].serialNumber', 'direct', 'certserial'],
    ['ocpp2.0.1:Authorize:conf', 'idTokenInfo.groupIdToken.idToken', 'direct', 'group'],
    ['ocpp2.0.1:Authorize:conf', 'idTokenInfo.personalMessage.content', 'freetext', undefined],
    ['ocpp2.0.1:Authorize:conf', 'idTokenInfo.language1', 'quasi', undefined],
    ['ocpp2.0.1:TransactionEvent:req', 'idToken.idToken', 'direct', 'idToken.type'],
    ['ocpp2.0.1:TransactionEvent:req', 'meterValue[].sampledValue[].signedMeterValue.signedMeterData', 'embedded', undefined],
    ['ocpp2.0.1:TransactionEvent:req', 'meterValue[].sampledValue[].signedMeterValue.publicKey', 'direct', 'device'],
    ['ocpp2.0.1:TransactionEvent:req', 'transactionInfo.transactionId', 'link', undefined],
    ['ocpp2.0.1:TransactionEvent:conf', 'updatedPersonalMessage.content', 'freetext', undefined],
    ['ocpp2.0.1:BootNotification:req', 'chargingStation.serialNumber', 'direct', 'device'],
    ['ocpp2.0.1:BootNotification:req', 'chargingStation.modem.iccid', 'direct', 'device'],
    ['ocpp2.0.1:BootNotification:req', 'chargingStation.modem.imsi', 'direct', 'device'],
    ['ocpp2.0.1:DataTransfer:req', 'data', 'freetext', undefined],
    ['ocpp2.0.1:DataTransfer:conf', 'statusInfo.additionalInfo', 'freetext', undefined],
    ['ocpp2.0.1:NotifyEVChargingNeeds:req', 'chargingNeeds.departureTime', 'quasi', undefined],
    ['ocpp2.0.1:NotifyEVChargingNeeds:req', 'chargingNeeds.dcChargingParameters.stateOfCharge', 'quasi', undefined],
    ['ocpp2.0.1:Get15118EVCertificate:req', 'exiRequest', 'embedded', undefined],
    ['ocpp2.0.1:Get15118EVCertificate:conf', 'exiResponse', 'embedded', undefined],
    ['ocpp2.0.1:GetCertificateStatus:req', 'ocspRequestData.serialNumber', 'direct', 'certserial'],
    ['ocpp2.0.1:GetCertificateStatus:conf', 'ocspResult', 'embedded', undefined],
    ['ocpp2.0.1:ReserveNow:req', 'groupIdToken.idToken', 'direct', 'group'],
    ['ocpp2.0.1:RequestStartTransaction:req', 'groupIdToken.idToken', 'direct', 'group'],
    ['ocpp2.0.1:SendLocalList:req', 'localAuthorizationList[].idToken.idToken', 'direct', 'idToken.type'],
    ['ocpp2.0.1:SendLocalList:req', 'localAuthorizationList[].idTokenInfo.groupIdToken.idToken', 'direct', 'group'],
    ['ocpp2.0.1:CustomerInformation:req', 'customerIdentifier', 'direct', 'customer'],
    ['ocpp2.0.1:CustomerInformation:req', 'customerCertificate.serialNumber', 'direct', 'certserial'],
    ['ocpp2.0.1:NotifyCustomerInformation:req', 'data', 'freetext', undefined],
    ['ocpp2.0.1:NotifyEvent:req', 'eventData[].actualValue', 'freetext', undefined],
    ['ocpp2.0.1:SetDisplayMessage:req', 'message.message.content', 'freetext', undefined],
    ['ocpp2.0.1:CostUpdated:req', 'totalCost', 'quasi', undefined],
    // §5 OCPI 2.2.1
    ['ocpi2.2.1:sessions', 'cdr_token.uid', 'direct', 'uid'],
    ['ocpi2.2.1:sessions', 'cdr_token.contract_id', 'direct', 'emaid'],
    ['ocpi2.2.1:sessions', 'cdr_token.party_id', 'operational', undefined],
    ['ocpi2.2.1:sessions', 'authorization_reference', 'direct', 'authref'],
    ['ocpi2.2.1:sessions', 'meter_id', 'direct', 'device'],
    ['ocpi2.2.1:cdrs', 'cdr_token.uid', 'direct', 'uid'],
    ['ocpi2.2.1:cdrs', 'meter_id', 'direct', 'device'],
    ['ocpi2.2.1:cdrs', 'signed_data.signed_values[].plain_data', 'embedded', undefined],
    ['ocpi2.2.1:cdrs', 'signed_data.signed_values[].signed_data', 'embedded', undefined],
    ['ocpi2.2.1:cdrs', 'signed_data.public_key', 'direct', 'device'],
    ['ocpi2.2.1:cdrs', 'remark', 'freetext', undefined],
    ['ocpi2.2.1:cdrs', 'invoice_reference_id', 'link', undefined],
    ['ocpi2.2.1:tokens', 'uid', 'direct', 'uid'],
    ['ocpi2.2.1:tokens', 'contract_id', 'direct', 'emaid'],
    ['ocpi2.2.1:tokens', 'visual_number', 'direct', 'visual'],
    ['ocpi2.2.1:tokens', 'group_id', 'direct', 'group'],
    ['ocpi2.2.1:tokens', 'energy_contract.contract_id', 'direct', 'energycontract'],
    ['ocpi2.2.1:tokens', 'language', 'quasi', undefined],
  ] as const)('%s %s is %s (%s)', (key, path, cls, kind) => {
    const row = only(key, path);
    expect(row.class).toBe(cls);
    expect(row.kind).toBe(kind);
  });

  test('1.6 sampledValue.value: SignedData is embedded, the energy register (or no measurand) is meterWh, SoC is stateOfChargePercent', () => {
    const key = 'ocpp1.6:MeterValues:req';
    const path = 'meterValue[].sampledValue[].value';
    const signed = ruleFor(key, path, { value: 'OCMF|{…}|{…}', format: 'SignedData', measurand: 'Energy.Active.Import.Register' });
    expect([signed.class, signed.field]).toEqual(['embedded', undefined]);
    const register = ruleFor(key, path, { value: '1200', measurand: 'Energy.Active.Import.Register' });
    expect([register.class, register.field]).toEqual(['quasi', 'meterWh']);
    const defaulted = ruleFor(key, path, { value: '1200', format: 'Raw' });
    expect([defaulted.class, defaulted.field]).toEqual(['quasi', 'meterWh']);
    const soc = ruleFor(key, path, { value: '80', measurand: 'SoC' });
    expect([soc.class, soc.field]).toEqual(['quasi', 'stateOfChargePercent']);
    const voltage = ruleFor(key, path, { value: '230', measurand: 'Voltage' });
    expect([voltage.class, voltage.field]).toEqual(['operational', undefined]);
    const stopSigned = ruleFor('ocpp1.6:StopTransaction:req', 'transactionData[].sampledValue[].value', { format: 'SignedData' });
    expect(stopSigned.class).toBe('embedded');
  });

  test('2.0.1 sampledValue.value feeds meterWh for the energy register and stateOfChargePercent for SoC', () => {
    for (const key of ['ocpp2.0.1:TransactionEvent:req', 'ocpp2.0.1:MeterValues:req']) {
      const path = 'meterValue[].sampledValue[].value';
      expect(ruleFor(key, path, { value: 1200 }).field).toBe('meterWh');
      expect(ruleFor(key, path, { value: 80, measurand: 'SoC' }).field).toBe('stateOfChargePercent');
      expect(ruleFor(key, path, { value: 16, measurand: 'Current.Import' }).field).toBeUndefined();
    }
  });

  test('1.6 DataTransfer.data is embedded for the Plug & Charge vendorId, free text otherwise', () => {
    const key = 'ocpp1.6:DataTransfer:req';
    expect(ruleFor(key, 'data', { vendorId: 'org.openchargealliance.iso15118pnc' }).class).toBe('embedded');
    expect(ruleFor(key, 'data', { vendorId: 'com.example' }).class).toBe('freetext');
    expect(only('ocpp1.6:DataTransfer:conf', 'data').class).toBe('freetext');
  });

  test('OCPI SoC dimensions are quasi-identifiers, other dimensions operational', () => {
    for (const key of ['ocpi2.2.1:sessions', 'ocpi2.2.1:cdrs']) {
      const path = 'charging_periods[].dimensions[].volume';
      expect(ruleFor(key, path, { type: 'STATE_OF_CHARGE', volume: 80 }).class).toBe('quasi');
      expect(ruleFor(key, path, { type: 'ENERGY', volume: 12.5 }).class).toBe('operational');
    }
  });

  test('CDR location fields become personal when home_charging_compensation is true (pii-catalog §5 CDR)', () => {
    const home = { path: 'home_charging_compensation', equals: true };
    for (const path of [
      'cdr_location.name', 'cdr_location.address', 'cdr_location.city', 'cdr_location.postal_code',
      'cdr_location.state', 'cdr_location.country', 'cdr_location.coordinates.latitude',
      'cdr_location.coordinates.longitude',
      // Beyond pii-catalog's list: at a home charger the location and EVSE ids pin the household too.
      'cdr_location.id', 'cdr_location.evse_uid', 'cdr_location.evse_id',
    ]) {
      expect([path, only('ocpi2.2.1:cdrs', path).personalWhen]).toEqual([path, home]);
    }
    expect(only('ocpi2.2.1:cdrs', 'cdr_location.connector_id').personalWhen).toBeUndefined();
  });
});

describe('analytics mapping', () => {
  test.each([
    ['ocpp1.6:Authorize:conf', 'idTagInfo.status', 'authorizationStatus'],
    ['ocpp1.6:StartTransaction:req', 'timestamp', 'eventTime'],
    ['ocpp1.6:StartTransaction:req', 'meterStart', 'meterWh'],
    ['ocpp1.6:StartTransaction:req', 'connectorId', 'connectorId'],
    ['ocpp1.6:StartTransaction:req', 'reservationId', 'reservationId'],
    ['ocpp1.6:StartTransaction:conf', 'transactionId', 'transactionId'],
    ['ocpp1.6:StartTransaction:conf', 'idTagInfo.status', 'authorizationStatus'],
    ['ocpp1.6:StopTransaction:req', 'reason', 'stopReason'],
    ['ocpp1.6:StopTransaction:req', 'meterStop', 'meterWh'],
    ['ocpp1.6:StopTransaction:req', 'transactionId', 'transactionId'],
    ['ocpp1.6:MeterValues:req', 'transactionId', 'transactionId'],
    ['ocpp1.6:ReserveNow:req', 'reservationId', 'reservationId'],
    ['ocpp2.0.1:Authorize:conf', 'idTokenInfo.status', 'authorizationStatus'],
    ['ocpp2.0.1:TransactionEvent:req', 'timestamp', 'eventTime'],
    ['ocpp2.0.1:TransactionEvent:req', 'transactionInfo.transactionId', 'transactionId'],
    ['ocpp2.0.1:TransactionEvent:req', 'transactionInfo.stoppedReason', 'stopReason'],
    ['ocpp2.0.1:TransactionEvent:req', 'evse.id', 'evseId'],
    ['ocpp2.0.1:TransactionEvent:req', 'evse.connectorId', 'connectorId'],
    ['ocpp2.0.1:TransactionEvent:conf', 'idTokenInfo.status', 'authorizationStatus'],
    ['ocpi2.2.1:sessions', 'id', 'transactionId'],
    ['ocpi2.2.1:sessions', 'start_date_time', 'startTime'],
    ['ocpi2.2.1:sessions', 'end_date_time', 'endTime'],
    ['ocpi2.2.1:sessions', 'kwh', 'energyKwh'],
    ['ocpi2.2.1:sessions', 'status', 'sessionStatus'],
    ['ocpi2.2.1:sessions', 'total_cost.excl_vat', 'totalCost'],
    ['ocpi2.2.1:sessions', 'currency', 'currency'],
    ['ocpi2.2.1:sessions', 'location_id', 'locationId'],
    ['ocpi2.2.1:sessions', 'evse_uid', 'evseUid'],
    ['ocpi2.2.1:sessions', 'last_updated', 'eventTime'],
    ['ocpi2.2.1:cdrs', 'session_id', 'transactionId'],
    ['ocpi2.2.1:cdrs', 'start_date_time', 'startTime'],
    ['ocpi2.2.1:cdrs', 'end_date_time', 'endTime'],
    ['ocpi2.2.1:cdrs', 'total_energy', 'energyKwh'],
    ['ocpi2.2.1:cdrs', 'total_cost.excl_vat', 'totalCost'],
    ['ocpi2.2.1:cdrs', 'currency', 'currency'],
    ['ocpi2.2.1:cdrs', 'cdr_location.id', 'locationId'],
    ['ocpi2.2.1:cdrs', 'cdr_location.evse_uid', 'evseUid'],
    ['ocpi2.2.1:cdrs', 'cdr_location.country', 'country'],
    ['ocpi2.2.1:cdrs', 'cdr_location.postal_code', 'postalCode'],
    ['ocpi2.2.1:cdrs', 'cdr_location.city', 'city'],
    ['ocpi2.2.1:cdrs', 'cdr_location.coordinates.latitude', 'latitude'],
    ['ocpi2.2.1:cdrs', 'cdr_location.coordinates.longitude', 'longitude'],
    ['ocpi2.2.1:cdrs', 'last_updated', 'eventTime'],
  ] as const)('%s %s feeds %s', (key, path, field) => {
    expect(only(key, path).field).toBe(field);
  });

  test('a canonical field is fed by one unconditional path per message (conditional rows may share one)', () => {
    for (const e of CATALOG) {
      const unconditional = e.fields.filter((row) => row.field !== undefined && row.when === undefined).map((row) => row.field);
      expect([e.key, unconditional.length]).toEqual([e.key, new Set(unconditional).size]);
    }
  });

  test('event types: the messages that make an analytics record, and no other', () => {
    const expected: Record<string, string> = {
      'ocpp1.6:Authorize:req': 'AUTHORIZATION_REQUESTED',
      'ocpp1.6:Authorize:conf': 'AUTHORIZATION_RESULT',
      'ocpp1.6:StartTransaction:req': 'TRANSACTION_STARTED',
      'ocpp1.6:StartTransaction:conf': 'AUTHORIZATION_RESULT',
      'ocpp1.6:StopTransaction:req': 'TRANSACTION_ENDED',
      'ocpp1.6:MeterValues:req': 'METER_VALUES',
      'ocpp1.6:RemoteStartTransaction:req': 'REMOTE_START',
      'ocpp1.6:ReserveNow:req': 'RESERVATION',
      'ocpp2.0.1:Authorize:req': 'AUTHORIZATION_REQUESTED',
      'ocpp2.0.1:Authorize:conf': 'AUTHORIZATION_RESULT',
      'ocpp2.0.1:TransactionEvent:req': 'TRANSACTION_UPDATED',
      'ocpp2.0.1:TransactionEvent:conf': 'AUTHORIZATION_RESULT',
      'ocpp2.0.1:MeterValues:req': 'METER_VALUES',
      'ocpp2.0.1:RequestStartTransaction:req': 'REMOTE_START',
      'ocpp2.0.1:ReserveNow:req': 'RESERVATION',
      'ocpi2.2.1:sessions': 'SESSION',
      'ocpi2.2.1:cdrs': 'CDR',
    };
    const actual = Object.fromEntries(CATALOG.filter((e) => e.eventType).map((e) => [e.key, e.eventType]));
    expect(actual).toEqual(expected);
  });
});
