// Runs a TypeScript script of this package in place, so paths the core derives from __dirname (policies/,
// schemas/) stay right: each .ts file is compiled to CommonJS by @swc/core (already a dev dependency, via
// @swc/jest) when Node loads it. Usage: node scripts/run-ts.mjs scripts/<script>.ts [args]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const Module = require('node:module');

Module._extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  process.stderr.write('usage: node scripts/run-ts.mjs <script.ts> [args]\n');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(script), ...args];
require(resolve(script));
