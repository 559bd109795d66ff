#!/usr/bin/env node
// Runs a wasm32-wasip1 command module under Node.js's built-in WASI (preview1).
// Used as CARGO_TARGET_WASM32_WASIP1_RUNNER by .ci/wasm.sh: `wasi-run.cjs file.wasm args…`.
'use strict';
const fs = require('fs');
const { WASI } = require('wasi');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: wasi-run.cjs <module.wasm> [args...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: process.env,
  preopens: { '.': process.cwd() },
  returnOnExit: true,
});
const wasm = new WebAssembly.Module(fs.readFileSync(file));
const instance = new WebAssembly.Instance(wasm, wasi.getImportObject());
process.exitCode = wasi.start(instance);
