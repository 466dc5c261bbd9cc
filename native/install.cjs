// npm's install step for the native backend: builds the oneDNN addon with node-gyp when oneDNN and a compiler are
// there, and otherwise says why in one line and lets the install succeed (everything then runs on wasm).
// SE_NATIVE=0 skips the build. The compiler's output goes to native/build.log.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { locate } = require('./locate-dnnl.cjs');

const here = __dirname;
const say = (line) => process.stderr.write(`snapshot-ensembles: ${line}\n`);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  return candidates.find((c) => c && fs.existsSync(c)) ?? null;
}

function main() {
  if (process.env.SE_NATIVE === '0') return say('native backend not built (SE_NATIVE=0)');
  const dnnl = locate();
  if (dnnl === null) {
    return say('native backend not built: oneDNN not found (Debian/Ubuntu: apt-get install libdnnl-dev; macOS: brew install onednn; or set DNNL_ROOT), so training runs on wasm');
  }
  const gyp = nodeGyp();
  if (gyp === null) return say('native backend not built: node-gyp not found, so training runs on wasm');
  const args = [gyp, 'rebuild'];
  if (process.env.npm_config_nodedir === undefined && fs.existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', env: process.env });
  fs.writeFileSync(path.join(here, 'build.log'), `${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.status !== 0) {
    return say(`native backend not built: the compile failed (see ${path.join(here, 'build.log')}), so training runs on wasm`);
  }
  say(`native backend built against oneDNN in ${dnnl.lib} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main();
