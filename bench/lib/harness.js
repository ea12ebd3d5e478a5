// Shared pieces of the benchmarks: timing with benchmark.js, the read-bandwidth floor, tables.
'use strict';
const Benchmark = require('benchmark');
const os = require('os');

const { native } = require('../../dist/native.js');
const ig = require('../../dist/index.js');

/** Median seconds per call of a synchronous fn, by benchmark.js. */
function time(name, fn, { maxTime = 3, minSamples = 5 } = {}) {
  const b = new Benchmark(name, fn, { maxTime, minSamples, initCount: 1 });
  b.run();
  if (b.error) throw b.error;
  const sample = [...b.stats.sample].sort((x, y) => x - y);
  return { name, median: sample[sample.length >> 1], rme: b.stats.rme, samples: sample.length };
}

/** Median seconds per call of an async fn (deferred benchmark). */
function timeAsync(name, fn, { maxTime = 3, minSamples = 5 } = {}) {
  return new Promise((resolve, reject) => {
    const b = new Benchmark(name, {
      defer: true,
      maxTime,
      minSamples,
      fn: (deferred) => fn().then(() => deferred.resolve(), reject),
      onComplete: () => {
        const sample = [...b.stats.sample].sort((x, y) => x - y);
        resolve({ name, median: sample[sample.length >> 1], rme: b.stats.rme, samples: sample.length });
      },
      onError: (e) => reject(e.target.error),
    });
    b.run({ async: true });
  });
}

/** Seconds of one readPass of `view` with read strategy `k`. */
function readOnce(b, view, k) {
  const t = process.hrtime.bigint();
  b.readPass(view, k);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * The read floor of `view`'s memory on every thread, in bytes/s: the fastest of every read strategy
 * this CPU runs (widest loads, splits, prefetch; native/core/bandwidth.cpp), best of `rounds` each,
 * the strategies interleaved so drift hits all of them.
 */
function readFloor(view, { rounds = 9 } = {}) {
  const b = native();
  const strategies = b.readStrategies();
  let best = Infinity;
  for (let i = 0; i < rounds; i++) for (let k = 0; k < strategies.length; k++) best = Math.min(best, readOnce(b, view, k));
  return view.byteLength / best;
}

/**
 * Kernels and the read floor timed round-robin in one process (floor, kernel 1, kernel 2, ...,
 * repeated `rounds` times), so machine drift and other load hit all of them alike. Returns the floor
 * (bytes/s, the best strategy's best round, with its name) and per kernel its median and best
 * seconds. Kernels are synchronous functions; each is run once first to warm up.
 */
function interleaved(view, kernels, { rounds = 11 } = {}) {
  const b = native();
  const strategies = b.readStrategies();
  const names = Object.keys(kernels);
  for (const n of names) kernels[n]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const floorBest = strategies.map(() => Infinity);
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < strategies.length; k++) floorBest[k] = Math.min(floorBest[k], readOnce(b, view, k));
    for (const n of names) {
      const t = process.hrtime.bigint();
      kernels[n]();
      samples[n].push(Number(process.hrtime.bigint() - t) / 1e9);
    }
  }
  const k = floorBest.indexOf(Math.min(...floorBest));
  const out = { floor: view.byteLength / floorBest[k], floorStrategy: strategies[k], kernels: {} };
  for (const n of names) {
    const sorted = samples[n].sort((x, y) => x - y);
    out.kernels[n] = { median: sorted[sorted.length >> 1], best: sorted[0], samples: sorted.length };
  }
  return out;
}

/** One line per issue target: what was asked, what was measured, and PASS or MISS. */
function verdict(target, measured, ok) {
  return `- ${ok ? 'PASS' : 'MISS'}: ${target} (measured ${measured})`;
}

/** Peak resident set of this process so far, in bytes. */
function peakRss() {
  return process.resourceUsage().maxRSS * 1024;
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const be = ig.backends();
  return `${cpu}, ${os.cpus().length} threads, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ` +
    `infogain isa ${be.cpu.isa}, ${be.cpu.threads} threads${be.cuda ? `; CUDA ${be.cuda.name}` : ''}`;
}

/** mulberry32: uniform numbers in [0, 1), the same sequence for a seed, so every run benchmarks the same data. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prints a Markdown table: rows of objects with the same keys. */
function table(rows) {
  const keys = Object.keys(rows[0]);
  const lines = [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${keys.map((k) => r[k]).join(' | ')} |`);
  return lines.join('\n');
}

const fmt = {
  ms: (s) => (s * 1e3).toFixed(s < 0.01 ? 3 : 1),
  x: (r) => `${r.toFixed(r < 10 ? 2 : 0)}x`,
  pct: (r) => `${(100 * r).toFixed(0)}%`,
  g: (v) => (v / 1e9).toFixed(2),
};

// Every suite reports its peak resident set when it exits (bench/run.js collects them in a table).
process.on('exit', () => {
  const peak = peakRss();
  console.log(`\nPeak RSS of this suite: ${(peak / 2 ** 20).toFixed(0)} MiB`);
  if (process.env.BENCH_RSS_FILE) require('fs').appendFileSync(process.env.BENCH_RSS_FILE, `${peak}\n`);
});

module.exports = { time, timeAsync, readFloor, interleaved, verdict, peakRss, machine, table, fmt, random };
