import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type AnySchemaObject, type ValidateFunction } from 'ajv';
import { AmpsealError } from '../errors';
import type { OcpiModule } from '../catalog/types';
import { schemaViolation } from './ocpp';
import { DEFAULT_SCHEMA_DIR } from './schema-dir';

export const OCPI_MODULES: readonly OcpiModule[] = Object.freeze(['sessions', 'cdrs', 'tokens'] as const);

/** Modules whose objects a Receiver may get as a PATCH (mod_cdrs: CDRs cannot be updated). */
export type OcpiPatchModule = Exclude<OcpiModule, 'cdrs'>;

/**
 * ampseal's own JSON Schemas for OCPI 2.2.1 (there is no official one), derived from the spec field tables;
 * each file's `description` says how. Relative to the schema dir.
 */
const FILES: Readonly<Record<OcpiModule, string>> = {
  sessions: 'ocpi/2.2.1/Session.json',
  cdrs: 'ocpi/2.2.1/CDR.json',
  tokens: 'ocpi/2.2.1/Token.json',
};

export function isOcpiModule(value: unknown): value is OcpiModule {
  return value === 'sessions' || value === 'cdrs' || value === 'tokens';
}

export interface OcpiValidators {
  /** Validates a complete object (PUT, GET). `undefined` when valid, else `schema_violation`. */
  validate(module: OcpiModule, object: unknown): AmpsealError | undefined;
  /**
   * Validates a PATCH body: only `last_updated` is required at the top level (mod_sessions / mod_tokens PATCH:
   * it SHALL be present); every property that is present must be complete and valid.
   */
  validatePatch(module: OcpiPatchModule, object: unknown): AmpsealError | undefined;
  /** The schema file as loaded; treat it as read-only. */
  schema(module: OcpiModule): AnySchemaObject;
}

/** Loads and compiles the three schemas at once: they are small, and every OCPI deployment uses them. */
export function createOcpiValidators(options: { schemaDir?: string } = {}): OcpiValidators {
  const schemaDir = options.schemaDir ?? DEFAULT_SCHEMA_DIR;
  // Our own files, so strict mode holds them to plain draft-07; no formats are needed (DateTime is a pattern).
  const ajv = new Ajv({ strict: true, allErrors: false, messages: false });
  const schemas = {} as Record<OcpiModule, AnySchemaObject>;
  const full = {} as Record<OcpiModule, ValidateFunction>;
  const patch = {} as Record<OcpiPatchModule, ValidateFunction>;
  for (const module of OCPI_MODULES) {
    const schema = loadSchema(schemaDir, module);
    schemas[module] = schema;
    full[module] = ajv.compile(schema);
    if (module !== 'cdrs') {
      // A copy without `$id` (the original holds it in this Ajv) and with the PATCH rule for `required`.
      const { $id: _id, ...rest } = schema;
      patch[module] = ajv.compile({ ...rest, required: ['last_updated'] });
    }
  }

  return {
    validate(module, object) {
      const validate = full[module];
      return validate(object) ? undefined : schemaViolation(validate.errors);
    },
    validatePatch(module, object) {
      const validate = patch[module];
      return validate(object) ? undefined : schemaViolation(validate.errors);
    },
    schema(module) {
      return schemas[module];
    },
  };
}

function loadSchema(schemaDir: string, module: OcpiModule): AnySchemaObject {
  const file = path.join(schemaDir, FILES[module]);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject;
  } catch (err) {
    throw new AmpsealError('CONFIG_INVALID', `OCPI schema ${file} cannot be read (schemaDir)`, { cause: err });
  }
}

/**
 * The spec fields of an OCPI object as a tree: each property maps to `true` (a value kept as a whole: scalar,
 * array of scalars) or to the shape of its object (for an array of objects: the shape of each element).
 * Derived from the same schema file the validator uses, so the roaming audience reduces objects to exactly the
 * fields that are validated.
 */
export interface SpecShape {
  readonly [property: string]: SpecShape | true;
}

const shapes = new Map<string, SpecShape>();

export function ocpiSpecShape(module: OcpiModule, options: { schemaDir?: string } = {}): SpecShape {
  const schemaDir = options.schemaDir ?? DEFAULT_SCHEMA_DIR;
  const key = `${schemaDir}\0${module}`;
  let shape = shapes.get(key);
  if (shape === undefined) {
    const root = loadSchema(schemaDir, module);
    const derived = shapeOf(root, root, 0);
    if (derived === true) throw new AmpsealError('CONFIG_INVALID', `OCPI schema for ${module} has no properties`);
    shape = derived;
    shapes.set(key, shape);
  }
  return shape;
}

function shapeOf(node: AnySchemaObject, root: AnySchemaObject, depth: number): SpecShape | true {
  if (depth > 16) throw new AmpsealError('CONFIG_INVALID', 'OCPI schema nests deeper than 16 levels');
  const resolved = resolveRef(node, root);
  if (resolved.type === 'array' && isSchemaObject(resolved.items)) {
    return shapeOf(resolved.items, root, depth + 1);
  }
  const properties = resolved.properties as Record<string, AnySchemaObject> | undefined;
  if (properties === undefined) return true;
  const out: Record<string, SpecShape | true> = {};
  for (const [name, child] of Object.entries(properties)) out[name] = shapeOf(child, root, depth + 1);
  return Object.freeze(out);
}

function resolveRef(node: AnySchemaObject, root: AnySchemaObject): AnySchemaObject {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const prefix = '#/definitions/';
  const target = ref.startsWith(prefix)
    ? (root.definitions as Record<string, AnySchemaObject> | undefined)?.[ref.slice(prefix.length)]
    : undefined;
  if (target === undefined) throw new AmpsealError('CONFIG_INVALID', `OCPI schema $ref ${ref} is not a local definition`);
  return resolveRef(target, root);
}

function isSchemaObject(value: unknown): value is AnySchemaObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
