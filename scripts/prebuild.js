// npm run prebuild: builds the addon (with CUDA where nvcc exists) and copies it to
// prebuilds/<platform>-<arch>/infogain.node, which `npm pack` ships. (npm also runs this
// before `npm run build`, as its pre-hook; the build that follows is then incremental.)
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

run('npm run build:ts');
run('npx cmake-js compile --out build');
const from = path.join(root, 'build', 'Release', 'infogain.node');
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
fs.copyFileSync(from, path.join(dir, 'infogain.node'));
const cuda = require(from).backends().cudaCompiled ? 'with CUDA' : 'CPU only';
console.log(`prebuilt ${path.relative(root, path.join(dir, 'infogain.node'))} (${cuda})`);
