// The reward pool vs the same tokenLogprobs calls on the main thread: latency p50/p99,
// throughput, and the main thread's event-loop delay (perf_hooks.monitorEventLoopDelay) during
// each, for many small calls (rows 8) and a few large ones (rows 4096), vocab 151936, float32.
// Also: a large call split by rows over the workers vs the same call whole.
'use strict';
const { availableParallelism } = require('os');
const { monitorEventLoopDelay, performance } = require('perf_hooks');
const { setImmediate: turn, setTimeout: sleep } = require('timers/promises');

const ig = require('../dist/index.js');
const { machine, table } = require('./lib/harness.js');

const vocab = 151936;
const small = { rows: 8, calls: Number(process.env.BENCH_SMALL_CALLS ?? 400) };
const large = { rows: Number(process.env.BENCH_LARGE_ROWS ?? 4096), calls: Number(process.env.BENCH_LARGE_CALLS ?? 8) };
const threads = availableParallelism();
const options = { entropy: true, backend: 'cpu' };

/** A [rows, vocab] float32 matrix (in shared memory if asked), each row the same smooth pattern. */
function makeLogits(rows, shared) {
  const bytes = rows * vocab * 4;
  const data = new Float32Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const row = Float32Array.from({ length: vocab }, (_, i) => 4 * Math.sin(i * 0.618) + (i % 13) * 0.1);
  for (let r = 0; r < rows; r++) data.set(row, r * vocab);
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
  return { logits: { data, rows, vocab }, targets };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (v) => v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);

/**
 * Runs `calls` calls with up to `inFlight` outstanding; each lane lets the event loop turn between
 * its calls, as a server would. Latency is from the call to its settling.
 */
async function drive(variant, calls, inFlight, call) {
  const latencies = [];
  let next = 0;
  const lane = async () => {
    while (next < calls) {
      const i = next++;
      const t = performance.now();
      await call(i);
      latencies.push(performance.now() - t);
      await turn();
    }
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wall = (performance.now() - t0) / 1e3;
  delay.disable();
  latencies.sort((a, b) => a - b);
  return {
    variant,
    calls,
    'in flight': inFlight,
    'latency p50 ms': ms(quantile(latencies, 0.5)),
    'p99 ms': ms(quantile(latencies, 0.99)),
    'calls/s': (calls / wall).toFixed(calls / wall < 10 ? 2 : 0),
    'loop delay p50 ms': ms(delay.percentile(50) / 1e6),
    'p99 ms ': ms(delay.percentile(99) / 1e6),
    'max ms': ms(delay.max / 1e6),
  };
}

/** One large call as `parts` row blocks on the pool (views into the same shared memory), merged. */
async function splitCall(pool, { logits, targets }, parts) {
  const { rows } = logits;
  const step = Math.ceil(rows / parts);
  const blocks = [];
  for (let r = 0; r < rows; r += step) {
    const n = Math.min(step, rows - r);
    blocks.push(pool.tokenLogprobs({ data: logits.data.subarray(r * vocab, (r + n) * vocab), rows: n, vocab }, targets.subarray(r, r + n), options));
  }
  const results = await Promise.all(blocks);
  const merged = {};
  for (const key of Object.keys(results[0])) {
    merged[key] = new Float32Array(rows);
    results.forEach((res, i) => merged[key].set(res[key], i * step));
  }
  return merged;
}

async function suite(pool, size, withSplit) {
  const { rows, calls } = size;
  const sab = makeLogits(rows, true);
  const inFlight = 2 * threads;
  const out = [];
  // every worker started and every code path hot before timing
  const warm = async (fn) => {
    for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: inFlight }, fn));
  };
  const sync = () => ig.tokenLogprobsSync(sab.logits, sab.targets, options);
  const libuv = () => ig.tokenLogprobs(sab.logits, sab.targets, options);
  const shared = () => pool.tokenLogprobs(sab.logits, sab.targets, options);
  await warm(shared);
  out.push(await drive('sync, main thread', calls, 1, sync));
  out.push(await drive('async function (libuv pool)', calls, inFlight, libuv));
  out.push(await drive('pool, SharedArrayBuffer input', calls, inFlight, shared));
  if (withSplit) {
    out.push(await drive('pool, shared, one call at a time', calls, 1, shared));
    for (const parts of [threads, 2 * threads]) {
      await warm(() => splitCall(pool, sab, parts));
      out.push(await drive(`pool, shared, split in ${parts} row blocks`, calls, 1, () => splitCall(pool, sab, parts)));
    }
  }
  // the same sync calls again: the difference to the first row is the machine's drift
  out.push(await drive('sync, main thread (again)', calls, 1, sync));
  sab.logits.data = null;
  global.gc?.();
  // copied inputs: the copy is made on the main thread at each call (fresh memory, page faults)
  const own = makeLogits(rows, false);
  const copyCalls = withSplit ? Math.min(calls, 3) : calls;
  if (!withSplit) await warm(() => pool.tokenLogprobs(own.logits, own.targets, options));
  out.push(await drive('pool, ArrayBuffer input (copied)', copyCalls, withSplit ? 1 : inFlight, () => pool.tokenLogprobs(own.logits, own.targets, options)));
  return out;
}

async function main() {
  console.log(`\n## Reward pool vs main thread: tokenLogprobs (+ entropy), vocab ${vocab}, float32\n${machine()}; pool threads ${threads}\n`);
  const pool = ig.createRewardPool({ threads, maxQueue: 4096 });
  const idle = await (async () => {
    const d = monitorEventLoopDelay({ resolution: 1 });
    d.enable();
    await sleep(1000);
    d.disable();
    return `${ms(d.percentile(50) / 1e6)} / ${ms(d.percentile(99) / 1e6)} / ${ms(d.max / 1e6)} ms`;
  })();
  console.log(`Event-loop delay of an idle loop (p50 / p99 / max): ${idle}\n`);
  console.log(`### ${small.calls} small calls, rows ${small.rows} (${((small.rows * vocab * 4) / 2 ** 20).toFixed(1)} MiB each)\n`);
  console.log(table(await suite(pool, small, false)));
  console.log(`\n### ${large.calls} large calls, rows ${large.rows} (${((large.rows * vocab * 4) / 2 ** 30).toFixed(2)} GiB each); copied input: 3 calls, one at a time\n`);
  console.log(table(await suite(pool, large, true)));
  console.log(`\nPool stats at the end: ${JSON.stringify(pool.stats())}`);
  await pool.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
