// Finds oneDNN (headers and library) for binding.gyp and the install step: `node locate-dnnl.cjs include|lib|check`.
// Looks at $DNNL_ROOT, pkg-config (dnnl), $CONDA_PREFIX, Homebrew and the usual system prefixes, in that order.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function fromPkgConfig() {
  try {
    const inc = execFileSync('pkg-config', ['--variable=includedir', 'dnnl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const lib = execFileSync('pkg-config', ['--variable=libdir', 'dnnl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return inc && lib ? [{ include: inc, lib }] : [];
  } catch {
    return [];
  }
}

function candidates() {
  const prefixes = [process.env.DNNL_ROOT, process.env.CONDA_PREFIX, '/opt/homebrew', '/usr/local', '/usr'].filter(Boolean);
  const libDirs = (p) => [path.join(p, 'lib'), path.join(p, 'lib64'), path.join(p, 'lib', 'x86_64-linux-gnu'), path.join(p, 'lib', 'aarch64-linux-gnu')];
  const list = [];
  if (process.env.DNNL_ROOT) for (const lib of libDirs(process.env.DNNL_ROOT)) list.push({ include: path.join(process.env.DNNL_ROOT, 'include'), lib });
  list.push(...fromPkgConfig());
  for (const p of prefixes) for (const lib of libDirs(p)) list.push({ include: path.join(p, 'include'), lib });
  return list;
}

const LIB_NAMES = ['libdnnl.so', 'libdnnl.so.2', 'libdnnl.dylib', 'libdnnl.2.dylib'];

function locate() {
  for (const c of candidates()) {
    if (!fs.existsSync(path.join(c.include, 'oneapi', 'dnnl', 'dnnl.hpp'))) continue;
    if (LIB_NAMES.some((n) => fs.existsSync(path.join(c.lib, n)))) return c;
  }
  return null;
}

module.exports = { locate };

if (require.main === module) {
  const found = locate();
  const what = process.argv[2];
  if (found === null) {
    if (what === 'check') process.stdout.write('oneDNN not found (no oneapi/dnnl/dnnl.hpp with libdnnl beside it under $DNNL_ROOT, pkg-config dnnl, $CONDA_PREFIX, /opt/homebrew, /usr/local or /usr)\n');
    process.exit(1);
  }
  process.stdout.write(what === 'lib' ? found.lib : what === 'include' ? found.include : `${found.include} ${found.lib}\n`);
}
