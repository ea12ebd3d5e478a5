// Source lists for native/binding.gyp, which has no globs, relative to native/:
// node scripts/gyp-sources.js core|avx2|avx512|node
'use strict';
const fs = require('fs');
const path = require('path');

const native = path.join(__dirname, '..', 'native');
const list = (dir, keep) =>
  fs.readdirSync(path.join(native, dir)).filter((f) => f.endsWith('.cpp') && keep(f)).sort().map((f) => `${dir}/${f}`);
const isa = (f) => /_avx(2|512)\.cpp$/.test(f) || f === 'isa_fallback.cpp';

const coreDirs = ['core', 'core/shapley'];
const inCore = (keep) => coreDirs.flatMap((dir) => list(dir, keep));
const kinds = {
  core: () => inCore((f) => !isa(f)),
  avx2: () => inCore((f) => f.endsWith('_avx2.cpp')),
  avx512: () => inCore((f) => f.endsWith('_avx512.cpp')),
  node: () => list('node', () => true),
};
const kind = process.argv[2];
if (!kinds[kind]) {
  console.error(`usage: gyp-sources.js ${Object.keys(kinds).join('|')}`);
  process.exit(1);
}
console.log(kinds[kind]().join(' '));
