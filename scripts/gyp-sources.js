// Source lists for native/binding.gyp, which has no globs, relative to native/:
// node scripts/gyp-sources.js core|avx2|avx512|node
'use strict';
const fs = require('fs');
const path = require('path');

const native = path.join(__dirname, '..', 'native');
const list = (dir, keep) =>
  fs.readdirSync(path.join(native, dir)).filter((f) => f.endsWith('.cpp') && keep(f)).sort().map((f) => `${dir}/${f}`);
const isa = (f) => /_avx(2|512)\.cpp$/.test(f) || f === 'isa_fallback.cpp';

const kinds = {
  core: () => [...list('core', (f) => !isa(f)), ...list('core/shapley', () => true)],
  avx2: () => list('core', (f) => f.endsWith('_avx2.cpp')),
  avx512: () => list('core', (f) => f.endsWith('_avx512.cpp')),
  node: () => list('node', () => true),
};
const kind = process.argv[2];
if (!kinds[kind]) {
  console.error(`usage: gyp-sources.js ${Object.keys(kinds).join('|')}`);
  process.exit(1);
}
console.log(kinds[kind]().join(' '));
