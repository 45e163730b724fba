import { MIN_SIGNING_KEY_BYTES } from '@ampseal/core';
import { invalid, type Env } from './read';
import { secret } from './secret';

/**
 * Signed data-subject requests (core request-signature.ts): the key the admin API and the CLI sign with and the
 * shredder verifies with, and whether the shredder refuses what does not verify.
 */
export interface RequestsSection {
  /** The current signing key first, then the previous one while a rotation is under way; empty: nothing is signed. */
  readonly requestSigningKeys: readonly Buffer[];
  /**
   * `required`: the shredder answers an unsigned or forged request with a failed receipt (`bad_signature`) and
   * executes nothing. `off`: it executes requests without checking (rollout only: producers already sign, and the
   * shredder logs what would have been refused).
   */
  readonly requestSignatures: 'required' | 'off';
}

export function readRequestsSection(env: Env): RequestsSection {
  const current = signingKey(env, 'AMPSEAL_REQUEST_SIGNING_KEY');
  const previous = signingKey(env, 'AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS');
  if (previous && !current) invalid('AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS', 'set only together with AMPSEAL_REQUEST_SIGNING_KEY (it is the key being rotated out)');
  const raw = env.AMPSEAL_REQUEST_SIGNATURES?.trim().toLowerCase();
  // Default: required as soon as there is a key to verify with.
  const mode = raw === undefined || raw === '' ? (current ? 'required' : 'off') : raw;
  if (mode !== 'required' && mode !== 'off') invalid('AMPSEAL_REQUEST_SIGNATURES', 'required or off');
  if (mode === 'required' && !current) invalid('AMPSEAL_REQUEST_SIGNATURES', 'off unless AMPSEAL_REQUEST_SIGNING_KEY (or _FILE) is set: required needs a key');
  return { requestSigningKeys: [current, previous].filter((k): k is Buffer => k !== undefined), requestSignatures: mode };
}

function signingKey(env: Env, variable: string): Buffer | undefined {
  const value = secret(env, variable)?.trim();
  if (value === undefined || value === '') return undefined;
  // Printable so it survives secret stores and shells; as long as the HMAC output so it is never the weak part
  // (`openssl rand -base64 48` makes one).
  if (value.length < MIN_SIGNING_KEY_BYTES || !/^[\x21-\x7e]+$/.test(value)) invalid(variable, `at least ${MIN_SIGNING_KEY_BYTES} printable characters without spaces`);
  return Buffer.from(value, 'utf8');
}
