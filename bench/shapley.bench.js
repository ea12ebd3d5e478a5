// shapleyExact at n = 20 and 25 on the CPU (next to the table's read floor and a plain-JS pass),
// and the estimators' per-coalition planning overhead at n = 30 (nextBatch + observe, and
// estimate() separately).
'use strict';
const ig = require('../dist/index.js');
const { fmt, machine, readFloor, table, time } = require('./lib/harness.js');

/** What a careful JS user writes: per player, sum w(|S|) (v(S + i) - v(S)) over S without i. */
function jsShapley(values) {
  const n = Math.log2(values.length);
  const w = new Float64Array(n);
  w[0] = 1 / n;
  for (let s = 0; s + 1 < n; s++) w[s + 1] = (w[s] * (s + 1)) / (n - 1 - s);
  const pop = new Uint8Array(values.length);
  for (let m = 1; m < values.length; m++) pop[m] = pop[m >> 1] + (m & 1);
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const bit = 1 << i;
    let acc = 0;
    for (let m = 0; m < values.length; m++) if (!(m & bit)) acc += w[pop[m]] * (values[m | bit] - values[m]);
    phi[i] = acc;
  }
  return phi;
}

function exactRows() {
  const rows = [];
  for (const n of [20, 25]) {
    const values = new Float64Array(2 ** n);
    for (let m = 0; m < values.length; m++) values[m] = Math.sin(m * 0.618) - 40;
    const floor = readFloor(values);
    const native = time(`shapleyExact n=${n}`, () => ig.shapleyExactSync(values, { backend: 'cpu' }), { maxTime: 4 });
    const js = n <= 20 ? time(`plain JS n=${n}`, () => jsShapley(values), { maxTime: 4, minSamples: 3 }) : null;
    const gbps = values.byteLength / native.median;
    rows.push({
      n,
      'table MiB': (values.byteLength / 2 ** 20).toFixed(0),
      'infogain ms': fmt.ms(native.median),
      'GB/s': fmt.g(gbps),
      'read floor GB/s': fmt.g(floor),
      'of floor': fmt.pct(gbps / floor),
      'plain JS ms': js ? fmt.ms(js.median) : 'n/a',
      'vs JS': js ? fmt.x(js.median / native.median) : 'n/a',
    });
  }
  return rows;
}

/** Plans and observes a whole budget; v(S) = |S| / n costs nothing, so this is the overhead alone. */
function planAll(method, n, budget) {
  const est = new ig.ShapleyEstimator({ players: n, method, budget, seed: 1 });
  let count = 0;
  for (;;) {
    const masks = est.nextBatch(4096);
    if (masks.length === 0) break;
    const values = new Float64Array(masks.length);
    for (let k = 0; k < masks.length; k++) {
      let m = masks[k], c = 0;
      for (; m; m &= m - 1) c++;
      values[k] = c / n;
    }
    est.observe(masks, values);
    count += masks.length;
  }
  return { est, count };
}

function planningRows() {
  const n = 30, rows = [];
  for (const budget of [128 * n, 2 ** 17]) {
    for (const method of ['permutation', 'antithetic', 'orthogonal', 'stratified', 'kernel', 'svarm', 'regression-adjusted']) {
      const { est, count } = planAll(method, n, budget);
      const plan = time(`${method} plan`, () => planAll(method, n, budget), { maxTime: 2, minSamples: 3 });
      const estimate = budget <= 128 * n ? time(`${method} estimate`, () => est.estimate(), { maxTime: 2, minSamples: 3 }) : null;
      rows.push({
        budget,
        method,
        coalitions: count,
        'plan + observe us/coalition': ((plan.median / count) * 1e6).toFixed(3),
        'estimate() ms': estimate ? fmt.ms(estimate.median) : 'not timed',
      });
    }
  }
  return rows;
}

console.log(`\n## shapleyExact, CPU\n${machine()}\n`);
console.log(table(exactRows()));
console.log('\nTarget: n = 25 fast on the CPU (one pass over 256 MiB; O(n 2^n) arithmetic).');
console.log(`\n## Shapley estimators: planning overhead at n = 30\n`);
console.log(table(planningRows()));
console.log('\nTarget: < 1 us of planning per coalition at n = 30 (v(S) here is free, so everything timed is overhead; the time includes building the Uint32Array batches and observe()). estimate() is timed at 128n only.');
