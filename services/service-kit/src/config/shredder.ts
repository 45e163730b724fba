import { invalid, type Env } from './read';

/** The shredder's own: the admin API's bearer token. */
export interface ShredderSection {
  /** Bearer token of the shredder's admin API; the API is off without one. */
  readonly adminToken: string | undefined;
}

export function readShredderSection(env: Env): ShredderSection {
  return { adminToken: adminToken(env) };
}

function adminToken(env: Env): string | undefined {
  const token = env.AMPSEAL_ADMIN_TOKEN?.trim();
  if (token === undefined || token === '') return undefined;
  // Long enough that guessing is hopeless; printable so it survives headers and secret stores.
  if (token.length < 32 || !/^[\x21-\x7e]+$/.test(token)) invalid('AMPSEAL_ADMIN_TOKEN', 'at least 32 printable characters');
  return token;
}
