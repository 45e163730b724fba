// Runs ESLint's Node API on in-memory sources (JSON on stdin: [{ source, filePath }]) and prints each one's
// no-restricted-imports messages. A child process of its own: ESLint loads eslint.config.mjs with a dynamic
// import, which jest's module sandbox does not allow.
import { ESLint } from 'eslint';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
}));
const eslint = new ESLint({ cwd: process.argv[2] });
const out = [];
for (const { source, filePath } of input) {
  const [result] = await eslint.lintText(source, { filePath });
  out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
}
process.stdout.write(JSON.stringify(out));
