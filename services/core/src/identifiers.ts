import { IDENTIFIER_KIND_SYMBOLS, type IdentifierKind as SchemaIdentifierKind } from '@ampseal/schemas';

/**
 * Identifier kinds (design §3). A subject is one normalized value of one kind within one tenant; kinds
 * are semantic, so the same card read over OCPP and OCPI yields the same token.
 * `certserial`, `energycontract` and `customer` are the kinds the personal-data catalog proposed for
 * fields the design had no kind for (contract-certificate serials, OCPI energy_contract.contract_id,
 * OCPP 2.0.1 customerIdentifier).
 * The list is the analytics schema's IdentifierKind enum (schemas/avro/charging-session-event.avsc): a kind the
 * record cannot carry cannot exist.
 */
export const IDENTIFIER_KINDS = IDENTIFIER_KIND_SYMBOLS;
export type IdentifierKind = SchemaIdentifierKind;

export function isIdentifierKind(value: string): value is IdentifierKind {
  return (IDENTIFIER_KINDS as readonly string[]).includes(value);
}

/** One subject of a tenant: the unit that owns a key, gets a token and can be erased. */
export interface Subject {
  readonly tenant: string;
  readonly kind: IdentifierKind;
  /** Normalized value (see normalize.ts). Never logged, never emitted to an audience that gets tokens. */
  readonly value: string;
}
