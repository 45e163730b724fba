import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stack's pinned versions, read from the one file every launch path uses (infra/versions.env). */
export function stackVersions(): Record<string, string> {
  const text = readFileSync(join(__dirname, '..', '..', 'infra', 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return out;
}
