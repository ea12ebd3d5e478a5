// node scripts/check-binary.js FILE: prints which glibc and libstdc++ symbol versions the addon
// needs (objdump -T) and its shared libraries (NEEDED), and exits 1 when it would not load on
// Debian 11 / Ubuntu 20.04: a GLIBC version above 2.31, or GLIBCXX / CXXABI above what bullseye's
// libstdc++ (gcc 10) has. The prebuilt binary needs none of the latter: libstdc++ is linked in.
'use strict';
const { execFileSync } = require('child_process');

const bounds = { GLIBC: '2.31', GLIBCXX: '3.4.28', CXXABI: '1.3.12' };

function compare(a, b) {
  const x = a.split('.').map(Number), y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** { highest: { GLIBC: '2.29', ... }, needed: ['libc.so.6', ...], problems: [...] } */
function checkBinary(file) {
  const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const highest = {};
  for (const [, lib, version] of symbols.matchAll(/\b(GLIBC|GLIBCXX|CXXABI)_([0-9.]+)\b/g))
    if (!highest[lib] || compare(version, highest[lib]) > 0) highest[lib] = version;
  const dynamic = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  const problems = Object.entries(highest)
    .filter(([lib, version]) => compare(version, bounds[lib]) > 0)
    .map(([lib, version]) => `${lib}_${version} (above ${lib}_${bounds[lib]})`);
  return { highest, needed, problems };
}

module.exports = { checkBinary, bounds };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/check-binary.js FILE');
    process.exit(2);
  }
  const { highest, needed, problems } = checkBinary(file);
  const versions = Object.entries(highest).map(([lib, v]) => `${lib}_${v}`).join(', ');
  console.log(`${file}: needs ${versions}; shared libraries: ${needed.join(' ')}`);
  if (problems.length) {
    console.error(`${file} would not load on glibc 2.31 (Debian 11, Ubuntu 20.04): it needs ${problems.join(', ')}.`);
    console.error('Build it with the Debian 11 toolchain: scripts/bullseye-sysroot.sh DIR && INFOGAIN_SYSROOT=DIR npm run package-binary');
    process.exit(1);
  }
}
