import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json';
import { AmpsealError } from '../errors';
import { isSchemaDateTime } from '../rules';
import type { Direction } from '../catalog/types';
import { DEFAULT_SCHEMA_DIR } from './schema-dir';

export type OcppSource = 'ocpp1.6' | 'ocpp2.0.1';

/**
 * The vendored OCA schema folders (verbatim copies, see schemas/vendor/README.md), relative to the schema dir.
 * File naming differs per version: 1.6 `Foo.json` = Foo.req and `FooResponse.json` = Foo.conf (the security
 * extension follows the same scheme); 2.0.1 `FooRequest.json` / `FooResponse.json`.
 */
const FOLDERS: readonly { readonly source: OcppSource; readonly dir: string }[] = [
  { source: 'ocpp1.6', dir: 'vendor/ocpp16/schemas' },
  { source: 'ocpp1.6', dir: 'vendor/ocpp16/security-extension-schemas' },
  { source: 'ocpp2.0.1', dir: 'vendor/ocpp201/schemas' },
];

export interface OcppValidators {
  /** Validates one payload. `undefined` when valid; otherwise `unknown_action` or `schema_violation`. */
  validate(source: OcppSource, action: string, direction: Direction, payload: unknown): AmpsealError | undefined;
  /** True when the version defines the action in that direction (no compilation). */
  has(source: OcppSource, action: string, direction?: Direction): boolean;
  /** Actions of a version, sorted. */
  actions(source: OcppSource): readonly string[];
  /**
   * The schema as validated: the vendored file after the in-code quirk fixes (Celsius, errata units, EXI lengths).
   * Parsed on first use; treat it as read-only. `undefined` for an unknown action.
   */
  schema(source: OcppSource, action: string, direction: Direction): AnySchemaObject | undefined;
  /** Compiles every schema now (warm-up before traffic, and the test that all of them compile); returns the count. */
  compileAll(): number;
}

interface SchemaEntry {
  readonly source: OcppSource;
  readonly file: string;
  schema?: AnySchemaObject;
  validate?: ValidateFunction;
}

interface ActionEntry {
  req?: SchemaEntry;
  conf?: SchemaEntry;
}

/**
 * Loads the OCPP schemas lazily: the directory listing is read once here (so an unknown action is known without
 * compiling anything), each schema is read and compiled on the first payload of its (source, action, direction)
 * and cached. Compiling all 206 up front costs seconds of start-up for messages most deployments never see.
 */
export function createOcppValidators(options: { schemaDir?: string } = {}): OcppValidators {
  const schemaDir = options.schemaDir ?? DEFAULT_SCHEMA_DIR;
  const index: Record<OcppSource, Map<string, ActionEntry>> = { 'ocpp1.6': new Map(), 'ocpp2.0.1': new Map() };

  for (const folder of FOLDERS) {
    const dir = path.join(schemaDir, folder.dir);
    if (!existsSync(dir)) {
      throw new AmpsealError('CONFIG_INVALID', `OCPP schema folder ${dir} does not exist (schemaDir)`);
    }
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const [action, direction] = actionOf(folder.source, name.slice(0, -'.json'.length));
      let entry = index[folder.source].get(action);
      if (entry === undefined) {
        entry = {};
        index[folder.source].set(action, entry);
      }
      entry[direction] = { source: folder.source, file: path.join(dir, name) };
    }
  }

  const actionLists: Record<OcppSource, readonly string[]> = {
    'ocpp1.6': Object.freeze([...index['ocpp1.6'].keys()].sort()),
    'ocpp2.0.1': Object.freeze([...index['ocpp2.0.1'].keys()].sort()),
  };

  // One Ajv per JSON Schema draft, created on first need: the 1.6 core schemas are draft-04 (`id`), the 1.6
  // security extension and 2.0.1 are draft-06 (`$id`). No two vendored files share an id, so one instance per
  // draft holds them all. Quirks (schemas/vendor/README.md "Loading with Ajv v8"): strict mode rejects the
  // non-standard `comment`/`javaType` keywords and 2.0.1's `additionalItems` beside a single-schema `items`,
  // hence strict:false; date-time needs ajv-formats. messages:false: we never use Ajv's texts (they would not
  // carry values anyway, since verbose is off).
  let draft04: Ajv | undefined;
  let draft06: Ajv | undefined;
  const ajvFor = (schema: AnySchemaObject): Ajv => {
    const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
    if (declared.includes('draft-04')) {
      draft04 ??= withFormats(new AjvDraft04({ strict: false, allErrors: false, messages: false }));
      return draft04;
    }
    if (draft06 === undefined) {
      draft06 = withFormats(new Ajv({ strict: false, allErrors: false, messages: false }));
      draft06.addMetaSchema(draft06MetaSchema);
    }
    return draft06;
  };

  const load = (entry: SchemaEntry): AnySchemaObject => {
    if (entry.schema === undefined) {
      const schema = JSON.parse(readFileSync(entry.file, 'utf8')) as AnySchemaObject;
      if (entry.source === 'ocpp1.6') {
        acceptBothCelsiusSpellings(schema);
        acceptErrataUnits(schema);
      } else {
        raiseExiLengths(schema);
      }
      entry.schema = schema;
    }
    return entry.schema;
  };

  const compile = (entry: SchemaEntry): ValidateFunction => {
    const schema = load(entry);
    entry.validate = ajvFor(schema).compile(schema);
    return entry.validate;
  };

  return {
    validate(source, action, direction, payload) {
      const entry = index[source].get(action)?.[direction];
      if (entry === undefined) return new AmpsealError('UNKNOWN_ACTION');
      const validate = entry.validate ?? compile(entry);
      if (validate(payload)) return undefined;
      return schemaViolation(validate.errors);
    },
    has(source, action, direction) {
      const entry = index[source].get(action);
      if (entry === undefined) return false;
      return direction === undefined || entry[direction] !== undefined;
    },
    actions(source) {
      return actionLists[source];
    },
    schema(source, action, direction) {
      const entry = index[source].get(action)?.[direction];
      return entry === undefined ? undefined : load(entry);
    },
    compileAll() {
      let count = 0;
      for (const source of ['ocpp1.6', 'ocpp2.0.1'] as const) {
        for (const entry of index[source].values()) {
          for (const one of [entry.req, entry.conf]) {
            if (one === undefined) continue;
            if (one.validate === undefined) compile(one);
            count++;
          }
        }
      }
      return count;
    },
  };
}

function actionOf(source: OcppSource, base: string): [string, Direction] {
  if (base.endsWith('Response')) return [base.slice(0, -'Response'.length), 'conf'];
  if (source === 'ocpp2.0.1' && base.endsWith('Request')) return [base.slice(0, -'Request'.length), 'req'];
  return [base, 'req'];
}

function withFormats<T extends Ajv>(ajv: T): T {
  // ajv-formats is typed against its own copy of Ajv's declarations; the instance is the same class at run time.
  addFormats(ajv as unknown as Parameters<typeof addFormats>[0]);
  // date-time is on every frame: the same rule as ajv-formats', without its per-call split and match arrays.
  ajv.addFormat('date-time', { type: 'string', validate: isSchemaDateTime });
  return ajv;
}

/**
 * The detail names where and which rule failed (`/idTag maxLength`), never a value: the instance path is made of
 * schema property names and array indices only (no vendored schema uses patternProperties or propertyNames,
 * and additionalProperties errors point at the parent object, not at the unknown key).
 */
export function schemaViolation(errors: readonly ErrorObject[] | null | undefined): AmpsealError {
  const first = errors?.[0];
  if (first === undefined) return new AmpsealError('SCHEMA_VIOLATION');
  const pointer = first.instancePath === '' ? '/' : first.instancePath;
  return new AmpsealError('SCHEMA_VIOLATION', `${pointer} ${first.keyword}`, { pointer, keyword: first.keyword });
}

/**
 * OCPP 1.6 quirk (schemas/vendor/README.md "Known quirks"): StopTransaction.json's SampledValue.unit enum
 * lists only the misspelt "Celcius", while MeterValues.json lists both spellings, and real chargers send
 * "Celsius" (codelabsab/rust-ocpp#168). Widen, in memory only, every enum that has one spelling to both;
 * the vendored files stay verbatim (CC BY-ND 4.0).
 */
export function acceptBothCelsiusSpellings(schema: unknown): number {
  return widenEnums(schema, (values) => {
    const hasOld = values.includes('Celcius');
    const hasNew = values.includes('Celsius');
    return hasOld === hasNew ? [] : [hasOld ? 'Celsius' : 'Celcius'];
  });
}

/**
 * Visits every `enum` of a schema (in memory) and appends what `missing` says it lacks; returns how many values
 * were added. The one walk behind the spelling quirk and the errata's units.
 */
function widenEnums(schema: unknown, missing: (values: readonly unknown[]) => readonly string[]): number {
  let widened = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const values = record.enum;
    if (Array.isArray(values)) {
      const add = missing(values);
      values.push(...add);
      widened += add.length;
    }
    for (const key of Object.keys(record)) {
      if (key !== 'enum') walk(record[key]);
    }
  };
  walk(schema);
  return widened;
}

/**
 * OCPP 1.6 errata sheet v4.0 (OCA, 2019-10-23), §3.84 "Page 106, section 7.45: No UnitOfMeasure for Measurand
 * Frequency": the unit of a SampledValue with measurand Frequency is "Hertz". The 2019-12 JSON schemas were not
 * updated (MeterValues.json and StopTransaction.json list no such unit), so chargers that follow the errata
 * send a unit the schema refuses (mobilityhouse/ocpp#70: a charger on Evnex firmware; #207: StopTransaction).
 * It is the only UnitOfMeasure or Measurand addition we found in the errata sheet (its other enum fix, the
 * "Celsius" spelling, is OCPP-J 1.6 errata v1.0 §2.1, handled above); the vendored Measurand enum already holds
 * Frequency and RPM. "Hz", which some chargers send, is in no OCA document and stays a schema violation.
 * Widened in memory like the Celsius spelling: every UnitOfMeasure enum (the enums that list "Wh") gets the
 * errata's units it lacks.
 */
const ERRATA_UNITS: readonly string[] = ['Hertz'];

export function acceptErrataUnits(schema: unknown): number {
  // The UnitOfMeasure enums are the ones that list "Wh".
  return widenEnums(schema, (values) => (values.includes('Wh') ? ERRATA_UNITS.filter((unit) => !values.includes(unit)) : []));
}

/**
 * OCPP 2.0.1 Get15118EVCertificate carries the ISO 15118 CertificateInstallationReq/Res as base64 EXI, capped at
 * 5600 characters by the 2.0.1 schemas, which real responses exceed. An ISO 15118-2 CertificateInstallationRes
 * holds the SA provisioning chain and the contract chain (a leaf and up to two sub-CA certificates each, 500 to
 * 900 bytes of DER apiece), the encrypted contract private key, the DH public key, the eMAID and an XML signature:
 * about 4 to 6 KB of EXI, 5.5 to 8 KB once base64-encoded. Switch reported ~5800 in the field, and the OCA
 * technology working group provisionally raised the limit to 7500 (mobilityhouse/ocpp#364); ISO 15118-20 allows
 * more and bigger certificates. OCPP 2.1 (Part 2, Get15118EVCertificate) settles it: the minimum supported length
 * is 11000 for exiRequest and 17000 for exiResponse, and 2.0.1 stations that tunnel -20 already use them
 * (EVerest libocpp sets 17000 for 2.0.1 too). We accept those: enough for every real exchange, and still far
 * below the record-size limit (AMPSEAL_MAX_RECORD_BYTES, 256 KiB), which bounds the whole record anyway. The
 * vendored files stay verbatim; the limits are raised in memory, like the 1.6 quirks above.
 */
export const EXI_MAX_LENGTH: Readonly<Record<string, number>> = Object.freeze({ exiRequest: 11_000, exiResponse: 17_000 });

export function raiseExiLengths(schema: unknown): number {
  if (schema === null || typeof schema !== 'object') return 0;
  const properties = (schema as { properties?: Record<string, { maxLength?: unknown }> }).properties;
  if (properties === undefined) return 0;
  let raised = 0;
  for (const [name, maxLength] of Object.entries(EXI_MAX_LENGTH)) {
    const property = properties[name];
    if (property !== undefined && typeof property.maxLength === 'number' && property.maxLength < maxLength) {
      property.maxLength = maxLength;
      raised++;
    }
  }
  return raised;
}
