#!/usr/bin/env node
'use strict';
// ampseal runs on Node 20 here; the AWS SDK's notice that it will need Node 22 from 2027 is in the README,
// not on every command's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the root prepare script).
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
