// npm run bench [-- suite ...]: runs each benchmark suite in its own process (no JIT or GC
// cross-talk between suites) and prints their Markdown tables.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

// benchmark.js and onnxruntime-node are dev dependencies: an installed infogain has neither
function installed(name) {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
const missing = ['benchmark', 'onnxruntime-node'].filter((name) => !installed(name));
if (missing.length) {
  console.error(`the benchmarks need ${missing.join(' and ')}, which infogain does not install; install with:`);
  console.error(`  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save benchmark onnxruntime-node@^1.30.0`);
  process.exit(1);
}

const suites = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.js')).map((f) => f.replace('.bench.js', '')).sort();
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : suites;
for (const name of wanted) {
  if (!suites.includes(name)) {
    console.error(`unknown suite '${name}'; suites: ${suites.join(', ')}`);
    process.exit(1);
  }
  execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, `${name}.bench.js`)], { stdio: 'inherit' });
}
