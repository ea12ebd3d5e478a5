// shapleyExact at n = 20 and 25 on the CPU (next to the table's read floor and a plain-JS pass),
// and the estimators' per-coalition planning overhead at n = 30 (nextBatch + observe, and
// estimate() separately).
'use strict';
const ig = require('../dist/index.js');
const { fmt, interleaved, machine, table, time, verdict } = require('./lib/harness.js');

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

const exactTargets = [];

function exactRows() {
  const rows = [];
  for (const n of [20, 25]) {
    const values = new Float64Array(2 ** n);
    for (let m = 0; m < values.length; m++) values[m] = Math.sin(m * 0.618) - 40;
    // the kernel and every read strategy of the floor, round-robin in this process
    const r = interleaved(values, { exact: () => ig.shapleyExactSync(values, { backend: 'cpu' }) }, { rounds: n <= 20 ? 21 : 9 });
    const native = r.kernels.exact, floor = r.floor, oneRead = values.byteLength / floor;
    const js = n <= 20 ? time(`plain JS n=${n}`, () => jsShapley(values), { maxTime: 4, minSamples: 3 }) : null;
    rows.push({
      n,
      'table MiB': (values.byteLength / 2 ** 20).toFixed(0),
      'infogain ms (median)': fmt.ms(native.median),
      'best ms': fmt.ms(native.best),
      'one read of the table ms': fmt.ms(oneRead),
      'best / one read': fmt.x(native.best / oneRead),
      'read floor GB/s': fmt.g(floor),
      'plain JS ms': js ? fmt.ms(js.median) : 'n/a',
      'vs JS': js ? fmt.x(js.median / native.median) : 'n/a',
    });
    if (n === 25) exactTargets.push(verdict('shapleyExact n = 25 <= 2x the time of one read of its table', `${fmt.x(native.best / oneRead)} (best ${fmt.ms(native.best)} ms vs ${fmt.ms(oneRead)} ms, median ${fmt.ms(native.median)} ms)`, native.best <= 2 * oneRead));
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
      // dispose each timed estimator: V8 does not see their native memory, so without it the
      // garbage of benchmark.js's iterations held ~7 GiB before a collection came
      const plan = time(`${method} plan`, () => planAll(method, n, budget).est.dispose(), { maxTime: 2, minSamples: 3 });
      const estimate = budget <= 128 * n ? time(`${method} estimate`, () => est.estimate(), { maxTime: 2, minSamples: 3 }) : null;
      rows.push({
        budget,
        method,
        coalitions: count,
        'plan + observe us/coalition': ((plan.median / count) * 1e6).toFixed(3),
        'estimate() ms': estimate ? fmt.ms(estimate.median) : 'not timed',
      });
      est.dispose();
    }
  }
  return rows;
}

console.log(`\n## shapleyExact, CPU\n${machine()}\n`);
console.log(table(exactRows()));
console.log('\nThe floor: the fastest of every read strategy this CPU runs, timed round-robin with the kernel (bench/lib/harness.js interleaved); both sides best of the rounds.');
console.log(`\nTargets:\n${exactTargets.join('\n')}`);
console.log(`\n## Shapley estimators: planning overhead at n = 30\n`);
console.log(table(planningRows()));
console.log('\nTarget: < 1 us of planning per coalition at n = 30 (v(S) here is free, so everything timed is overhead; the time includes building the Uint32Array batches and observe()). estimate() is timed at 128n only.');
