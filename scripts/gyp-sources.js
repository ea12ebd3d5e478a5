// Source lists for binding.gyp, which has no globs: node scripts/gyp-sources.js core|avx2|avx512|node
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const list = (dir, keep) =>
  fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.cpp') && keep(f)).sort().map((f) => `${dir}/${f}`);
const isa = (f) => /_avx(2|512)\.cpp$/.test(f) || f === 'isa_fallback.cpp';

const kinds = {
  core: () => list('native/core', (f) => !isa(f)),
  avx2: () => list('native/core', (f) => f.endsWith('_avx2.cpp')),
  avx512: () => list('native/core', (f) => f.endsWith('_avx512.cpp')),
  node: () => list('native/node', () => true),
};
const kind = process.argv[2];
if (!kinds[kind]) {
  console.error(`usage: gyp-sources.js ${Object.keys(kinds).join('|')}`);
  process.exit(1);
}
console.log(kinds[kind]().join(' '));
