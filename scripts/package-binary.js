// npm run package-binary (npm pack runs it first, as prepack): builds (npm run build) and copies the
// addon to prebuilds/<platform>-<arch>/infogain.node, the binary the package ships. Make the binary
// portable by building with the Debian 11 toolchain (README, "The prebuilt binary"):
//   scripts/bullseye-sysroot.sh /opt/bullseye && INFOGAIN_SYSROOT=/opt/bullseye npm pack
// Without it the binary needs this machine's glibc and libstdc++: it says so, and CI fails on it.
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { checkBinary } = require('./check-binary');

const root = path.join(__dirname, '..');
execSync('npm run build', { cwd: root, stdio: 'inherit' });
const from = path.join(root, 'build', 'Release', 'infogain.node');
const to = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'infogain.node');
fs.mkdirSync(path.dirname(to), { recursive: true });
fs.copyFileSync(from, to);
const cuda = require(from).backends().cudaCompiled ? 'with CUDA' : 'CPU only';
console.log(`infogain: packaged ${path.relative(root, to)} (${cuda})`);
if (process.platform === 'linux') {
  const { highest, problems } = checkBinary(to);
  console.log(`infogain: it needs ${Object.entries(highest).map(([lib, v]) => `${lib}_${v}`).join(', ')}`);
  if (problems.length)
    console.warn(`infogain: WARNING: it will not load on glibc 2.31 systems (${problems.join(', ')}); set INFOGAIN_SYSROOT (above)`);
}
