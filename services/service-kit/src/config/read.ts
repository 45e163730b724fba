import { readFileSync } from 'node:fs';
import { AmpsealError } from '@ampseal/core';

/** Reading AMPSEAL_* variables: each helper names the variable and the expected form when a value is bad. */
export type Env = Readonly<Record<string, string | undefined>>;

export function invalid(name: string, expected: string): never {
  throw new AmpsealError('CONFIG_INVALID', `${name} must be ${expected}`);
}

export function url(env: Env, name: string, fallback: string | undefined, schemes: readonly string[]): string | undefined {
  const raw = env[name]?.trim() || fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return invalid(name, `a URL (${schemes.join(', ')})`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) invalid(name, `a URL with scheme ${schemes.join(' or ')}`);
  return raw;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) invalid(name, `a whole number from ${min} to ${max}`);
  return n;
}

export function flag(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return invalid(variable, 'true or false');
}

export function name(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(value)) invalid(variable, 'letters, digits, . _ - (at most 200)');
  return value;
}

export const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
export function topic(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (!TOPIC.test(value)) invalid(variable, 'a Kafka topic name (letters, digits, . _ -)');
  return value;
}

/**
 * A secret from `NAME` or from the file `NAME_FILE` (a Kubernetes secret mount), not both. The file's content is
 * trimmed of the trailing newline editors and `kubectl create secret --from-file` leave. Never echoed back.
 */
export function secret(env: Env, variable: string): string | undefined {
  const inline = env[variable];
  const file = env[`${variable}_FILE`]?.trim();
  if (inline !== undefined && inline !== '' && file) invalid(variable, `set either ${variable} or ${variable}_FILE, not both`);
  if (file) {
    const value = readable(`${variable}_FILE`, file).replace(/\r?\n$/, '');
    if (value === '') invalid(`${variable}_FILE`, 'a file holding the secret (it is empty)');
    return value;
  }
  return inline === undefined || inline === '' ? undefined : inline;
}

/** A PEM file's content (CA bundle, certificate, key), read once at start. */
export function pemFile(env: Env, variable: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string | undefined {
  const path = env[variable]?.trim();
  if (!path) return undefined;
  const pem = readable(variable, path);
  // `PRIVATE KEY` also matches `RSA PRIVATE KEY` and `EC PRIVATE KEY`; an encrypted key needs a passphrase we do not take.
  if (!pem.includes(`-----BEGIN `) || !pem.includes(`${kind}-----`) || pem.includes('ENCRYPTED PRIVATE KEY') || pem.includes('Proc-Type: 4,ENCRYPTED')) {
    invalid(variable, kind === 'CERTIFICATE' ? 'a PEM file of certificates (-----BEGIN CERTIFICATE-----)' : 'a PEM file holding an unencrypted private key');
  }
  return pem;
}

function readable(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return invalid(variable, `a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/**
 * Loopback only: the one place a connection may go unencrypted without an explicit allowance, because nothing
 * on the network between can read it.
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
