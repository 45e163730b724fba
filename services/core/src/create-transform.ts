import { readFileSync } from 'node:fs';
import { CATALOG } from './catalog';
import { createInputParser } from './input';
import { DEFAULT_POLICY_FILE } from './paths';
import { parsePolicy, type CompiledPolicy } from './policy';
import type { TokenSource } from './tokens';
import { Transform, type Audience } from './transform';

export interface CreateTransformOptions {
  readonly tokens: TokenSource;
  readonly audiences: readonly Audience[];
  /** The audience policy (YAML); the built-in default policy when absent. */
  readonly policyFile?: string;
  /** Largest accepted record in bytes; the parser's default (256 KiB) when absent. */
  readonly maxRecordBytes?: number;
  /** When non-empty, records of any other tenant are quarantined as `unknown_tenant`. */
  readonly tenants?: readonly string[];
  /** How far a payload time may run ahead of receivedAt (default 5 minutes). */
  readonly maxClockSkewMs?: number;
}

/**
 * The one assembly of a Transform, for stream mode, file mode and the benchmark alike: the policy read and validated
 * against the catalog, the input parser with its schemas, once. Nobody wires parser, policy and catalog by hand.
 */
export function createTransform(options: CreateTransformOptions): Transform {
  const policy = readPolicyFile(options.policyFile);
  const parser = createInputParser(options.maxRecordBytes === undefined ? {} : { maxBytes: options.maxRecordBytes });
  return new Transform({
    catalog: CATALOG,
    policy,
    tokens: options.tokens,
    parse: parser.parse,
    audiences: options.audiences,
    ...(options.tenants !== undefined && options.tenants.length > 0 ? { tenants: new Set(options.tenants) } : {}),
    ...(options.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: options.maxClockSkewMs }),
  });
}

/** The policy file (the built-in default when absent), read and validated against the catalog: one way for every reader. */
export function readPolicyFile(policyFile?: string): CompiledPolicy {
  return parsePolicy(readFileSync(policyFile ?? DEFAULT_POLICY_FILE, 'utf8'), CATALOG);
}
