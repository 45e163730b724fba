import { readFileSync } from 'node:fs';
import { invalid, type Env } from './read';

/**
 * A secret from `NAME` or from the file named by `NAME_FILE` (a Kubernetes Secret mounted as a file), never both:
 * two sources would leave which one wins to the reader. The file's trailing newline is not part of the secret.
 * Messages name the variable, never the value.
 */
export function secret(env: Env, variable: string): string | undefined {
  const direct = env[variable];
  const path = env[`${variable}_FILE`]?.trim();
  if (direct !== undefined && direct !== '' && path) invalid(variable, `set either ${variable} or ${variable}_FILE, not both`);
  if (path) return fileText(env, `${variable}_FILE`).replace(/\r?\n$/, '');
  return direct === '' ? undefined : direct;
}

/** The content of the file named by `variable`; unreadable stops the start with the error code (ENOENT, EACCES). */
export function fileBytes(env: Env, variable: string): Buffer {
  const path = env[variable]?.trim() ?? '';
  try {
    return readFileSync(path);
  } catch (err) {
    return invalid(variable, `a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

export function fileText(env: Env, variable: string): string {
  return fileBytes(env, variable).toString('utf8');
}
