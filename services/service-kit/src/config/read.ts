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
