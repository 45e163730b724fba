/**
 * The personal-data catalog: one entry per message (OCPP action + direction, OCPI module), one row per leaf
 * property of its schema. Everything that touches personal data (validation, tokenization, audience policies,
 * the property tests) reads it from here.
 */
import { OCPI221_CATALOG } from './ocpi221';
import { OCPP16_CATALOG } from './ocpp16';
import { OCPP201_CATALOG } from './ocpp201';
import { catalogKey, type Direction, type MessageCatalog, type Source } from './types';

export * from './types';
export { OCPP16_CATALOG, OCPP201_CATALOG, OCPI221_CATALOG };

function freeze(entry: MessageCatalog): MessageCatalog {
  for (const field of entry.fields) {
    if (field.when) Object.freeze(field.when);
    if (field.personalWhen) Object.freeze(field.personalWhen);
    Object.freeze(field);
  }
  Object.freeze(entry.fields);
  return Object.freeze(entry);
}

/** Every catalogued message, frozen at load: the catalog is configuration, never mutated at run time. */
export const CATALOG: readonly MessageCatalog[] = Object.freeze(
  [...OCPP16_CATALOG, ...OCPP201_CATALOG, ...OCPI221_CATALOG].map(freeze),
);

const BY_KEY: ReadonlyMap<string, MessageCatalog> = (() => {
  const map = new Map<string, MessageCatalog>();
  for (const entry of CATALOG) {
    if (map.has(entry.key)) throw new Error(`duplicate catalog key ${entry.key}`);
    map.set(entry.key, entry);
  }
  return map;
})();

/**
 * The catalog entry of an OCPP message (`direction` required) or an OCPI module (`direction` omitted);
 * `undefined` when the message is not catalogued, which callers treat as "no field is known" (default deny).
 */
export function catalogEntry(source: Source, message: string, direction?: Direction): MessageCatalog | undefined {
  return BY_KEY.get(catalogKey(source, message, direction));
}
