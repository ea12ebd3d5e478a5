// npm run bench [-- [--full] suite ...] (npx infogain bench): runs each benchmark suite in its own
// process (no JIT or GC cross-talk between suites), prints their Markdown tables and the issue
// targets' verdicts, then each suite's time and peak RSS.
// Default sizes fit in 4 GiB of RSS (3.6 GiB measured, linear-head) and about 6 minutes; --full restores the large cases
// (1.01 GiB logits in call-inputs, 2.3 GiB calls in pool: up to ~10 GiB of RSS). An explicit
// BENCH_* variable wins over both.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const quick = { BENCH_LARGE_ROWS: '512', BENCH_LARGE_CALLS: '4', BENCH_SMALL_CALLS: '200' };

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
const args = process.argv.slice(2);
const full = args.includes('--full');
const named = args.filter((a) => a !== '--full');
const wanted = named.length ? named : suites;
for (const name of wanted) {
  if (!suites.includes(name)) {
    console.error(`unknown suite '${name}'; suites: ${suites.join(', ')}`);
    process.exit(1);
  }
}
const env = { ...process.env };
if (!full) for (const [k, v] of Object.entries(quick)) if (env[k] === undefined) env[k] = v;
const rssFile = path.join(os.tmpdir(), `infogain-bench-rss-${process.pid}`);
const summary = [];
for (const name of wanted) {
  fs.rmSync(rssFile, { force: true });
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, `${name}.bench.js`)], { stdio: 'inherit', env: { ...env, BENCH_RSS_FILE: rssFile } });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peak = fs.existsSync(rssFile) ? Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number)) : NaN;
  summary.push({ name, seconds, peak });
}
fs.rmSync(rssFile, { force: true });
console.log(`\n## Suites (${full ? '--full sizes' : 'default sizes; --full for the large cases'})\n`);
console.log('| suite | seconds | peak RSS MiB |\n| --- | --- | --- |');
for (const r of summary) console.log(`| ${r.name} | ${r.seconds.toFixed(0)} | ${(r.peak / 2 ** 20).toFixed(0)} |`);
const worst = Math.max(...summary.map((r) => r.peak));
const total = summary.reduce((a, r) => a + r.seconds, 0);
console.log(`\nPeak RSS of any suite: ${(worst / 2 ** 20).toFixed(0)} MiB; total ${total.toFixed(0)} s.`);
if (!full && named.length === 0) {
  const ok = worst < 4 * 2 ** 30 && total < 600;
  console.log(`\nTarget:\n- ${ok ? 'PASS' : 'MISS'}: default sizes in 4 GiB of RSS and a few minutes (measured ${(worst / 2 ** 30).toFixed(2)} GiB, ${(total / 60).toFixed(1)} min)`);
}
