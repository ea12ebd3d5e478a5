// What native/node/call_inputs.h costs: an async call copies its non-shared inputs on the calling
// thread when it is made; inputs in a SharedArrayBuffer are read in place (integer ones are copied,
// sync or async). Variants run interleaved, one call each per round, in random order; medians.
'use strict';
const ig = require('../dist/index.js');
const { fmt, machine, table } = require('./lib/harness.js');

const vocab = 151936;
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const largeRows = Number(process.env.BENCH_LARGE_ROWS ?? 1792);  // 1.01 GiB of float32 logits
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function shared(view) {
  const copy = new view.constructor(new SharedArrayBuffer(view.byteLength));
  copy.set(view);
  return copy;
}

/** Per variant: median call-to-result time, and median time the call held the calling thread. */
async function interleaved(variants, rounds) {
  const total = new Map(), held = new Map();
  for (const v of variants) total.set(v.name, []), held.set(v.name, []);
  for (let r = 0; r < rounds; r++) {
    const order = [...variants].sort(() => Math.random() - 0.5);
    for (const v of order) {
      const t0 = process.hrtime.bigint();
      const pending = v.run();
      held.get(v.name).push(seconds(t0));
      await pending;
      total.get(v.name).push(seconds(t0));
    }
  }
  return variants.map((v) => ({ name: v.name, total: median(total.get(v.name)), held: median(held.get(v.name)), bytes: v.bytes }));
}

async function logprobs(rows, rounds) {
  const data = new Float32Array(rows * vocab);
  for (let i = 0; i < data.length; i++) data[i] = 4 * Math.sin(i * 0.618) + (i % 13) * 0.1;
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
  const plain = { data, rows, vocab }, sab = { data: shared(data), rows, vocab }, sabTargets = shared(targets);
  const opts = { entropy: true, backend: 'cpu' };
  const bytes = data.byteLength + targets.byteLength;
  const results = await interleaved([
    { name: 'sync, ArrayBuffer', run: () => ig.tokenLogprobsSync(plain, targets, opts) },
    { name: 'async, ArrayBuffer (copied)', run: () => ig.tokenLogprobs(plain, targets, opts), bytes },
    { name: 'async, SharedArrayBuffer (targets copied)', run: () => ig.tokenLogprobs(sab, sabTargets, opts), bytes: targets.byteLength },
  ], rounds);
  const base = results[0].total;
  return results.map((r) => ({
    input: `[${rows}, ${vocab}] f32, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    call: r.name,
    'total ms': fmt.ms(r.total),
    'vs sync': fmt.x(r.total / base),
    'calling thread held, ms': fmt.ms(r.held),
    'copied per call': r.bytes ? `${(r.bytes / 2 ** 20).toFixed(2)} MiB` : '0',
  }));
}

async function groups(n, rounds) {
  const scores = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const ids = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 8) * 3);
  const sabIds = shared(ids);
  const results = await interleaved([
    { name: 'sync, ids in an ArrayBuffer', run: () => ig.groupAdvantagesSync(scores, { groups: ids }) },
    { name: 'sync, ids in a SharedArrayBuffer (copied)', run: () => ig.groupAdvantagesSync(scores, { groups: sabIds }), bytes: ids.byteLength },
    { name: 'async, ArrayBuffer (scores and ids copied)', run: () => ig.groupAdvantages(scores, { groups: ids }), bytes: 2 * ids.byteLength },
  ], rounds);
  const base = results[0].total;
  return results.map((r) => ({
    input: `groupAdvantages, ${n} scores in groups of 8`,
    call: r.name,
    'total ms': fmt.ms(r.total),
    'vs sync': fmt.x(r.total / base),
    'calling thread held, ms': fmt.ms(r.held),
    'copied per call': r.bytes ? `${(r.bytes / 2 ** 20).toFixed(2)} MiB` : '0',
  }));
}

async function main() {
  console.log(`\n## Inputs of a call (copies made when it is made), ${rounds} interleaved rounds (5 above 512 MiB), medians\n${machine()}\n`);
  const rows = [];
  for (const r of [8, 64, 256, largeRows]) rows.push(...(await logprobs(r, r * vocab * 4 > 2 ** 29 ? 5 : rounds)));
  rows.push(...(await groups(1 << 20, rounds)));
  console.log(table(rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
