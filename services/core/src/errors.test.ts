import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, errorTableMarkdown } from './errors';

const README = join(__dirname, '..', '..', '..', 'README.md');
const BEGIN = '<!-- errors:begin (generated from services/core/src/errors.ts: npm run docs:errors) -->';
const END = '<!-- errors:end -->';

describe('the error table', () => {
  it('has one reason per code and every reason in snake case', () => {
    const reasons = Object.values(ERRORS).map((e) => e.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const r of reasons) expect(r).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('is what the README documents (regenerate with npm run docs:errors)', () => {
    const text = readFileSync(README, 'utf8');
    const section = `${BEGIN}\n${errorTableMarkdown()}\n${END}`;
    if (process.env.AMPSEAL_WRITE_DOCS === '1') {
      const start = text.indexOf(BEGIN);
      const end = text.indexOf(END);
      writeFileSync(README, `${text.slice(0, start)}${section}${text.slice(end + END.length)}`);
      return;
    }
    expect(text).toContain(section);
  });
});
