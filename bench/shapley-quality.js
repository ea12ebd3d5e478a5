// Estimator quality study (heavy; run with nice): MSE against the exact values and 95% interval
// coverage for every method, on three game families with exact values, n = 8, 12, 20, budgets
// 4n, 16n, 50n, 128n distinct evaluations; then, at n <= 8, the default against ProMed's
// reference sampler and an uncached antithetic sampler at an equal number of model calls.
//   nice node bench/shapley-quality.js [seeds=40]
'use strict';
const ig = require('../dist/index.js');
const { machine, table } = require('./lib/harness.js');

const seeds = Number(process.argv[2] ?? 40);
const methods = ['auto', 'antithetic', 'permutation', 'orthogonal', 'stratified', 'kernel', 'leverage', 'svarm', 'regression-adjusted'];
const budgets = [4, 16, 50, 128];

function run(estimator, values) {
  for (;;) {
    const masks = estimator.nextBatch(1 << 16);
    if (masks.length === 0) break;
    const v = new Float64Array(masks.length);
    for (let k = 0; k < masks.length; k++) v[k] = values[masks[k]];
    estimator.observe(masks, v);
  }
  return estimator.estimate();
}

/** Game instances of a family: 4 per (family, n), the seed picks one. */
async function families() {
  const g = await import('../test/helpers/games.mjs');
  const { rng } = await import('../test/helpers/random.mjs');
  const make = {
    // high-order interactions: unanimity terms of every size 1..n
    'sum of unanimity': (r, n) => g.soumGame(r, n, 4 * n, 1, n).table,
    // v(S) = log sigmoid(b + linear + pairwise terms of S)
    'answer log-prob': (r, n) => g.logprobGame(r, n),
    // weights 1..10, quota half the total weight
    'weighted voting': (r, n) => {
      const w = Array.from({ length: n }, () => 1 + r.int(10));
      return g.votingGame(w, Math.ceil(w.reduce((a, b) => a + b, 0) / 2));
    },
  };
  const out = {};
  for (const [name, fn] of Object.entries(make)) {
    out[name] = {};
    for (const n of [6, 8, 12, 20]) {
      out[name][n] = Array.from({ length: 4 }, (_, k) => {
        const values = fn(rng(1000 * n + k), n);
        return { values, phi: ig.shapleyExactSync(values) };
      });
    }
  }
  return out;
}

function stats(runs) {
  let se = 0, covered = 0, count = 0;
  for (const { est, phi } of runs)
    for (let i = 0; i < phi.length; i++, count++) {
      const d = est.phi[i] - phi[i];
      se += d * d;
      covered += Math.abs(d) <= 1.96 * est.stderr[i] ? 1 : 0;
    }
  return { mse: se / count, coverage: covered / count };
}

const g3 = (x) => (x === 0 ? '0' : x.toExponential(2));

async function main() {
  const started = Date.now();
  const games = await families();
  console.log(`\n## Shapley estimator quality (${seeds} seeds per cell)\n${machine()}\n`);
  const goal1 = [], coverageRows = [], worst = [];
  for (const [family, byN] of Object.entries(games)) {
    const mseRows = [];
    for (const n of [8, 12, 20]) {
      for (const mult of budgets) {
        const budget = mult * n;
        const results = {};
        for (const method of methods) {
          const runs = [];
          for (let s = 0; s < seeds; s++) {
            const game = byN[n][s % 4];
            runs.push({ est: run(new ig.ShapleyEstimator({ players: n, method, budget, seed: s }), game.values), phi: game.phi });
          }
          results[method] = { ...stats(runs), ran: runs[0].est.method };
        }
        const anti = results.antithetic.mse;
        const row = { n, budget: `${mult}n`, 'antithetic MSE': g3(anti) };
        for (const m of methods) if (m !== 'antithetic') row[m] = anti > 0 ? (results[m].mse / anti).toFixed(2) : g3(results[m].mse);
        row['auto ran'] = results.auto.ran;
        mseRows.push(row);
        const cov = { family, n, budget: `${mult}n` };
        for (const m of methods) cov[m] = results[m].coverage.toFixed(2);
        coverageRows.push(cov);
        if (anti > 0) worst.push({ family, n, budget: `${mult}n`, ratio: results.auto.mse / anti });
        else goal1.push({ family, n, budget: `${mult}n`, 'every method exact (max MSE)': g3(Math.max(...methods.map((m) => results[m].mse))) });
      }
    }
    console.log(`\n### ${family}: MSE of each method / MSE of antithetic (lower is better; 'auto' is the default)\n`);
    console.log(table(mseRows));
  }
  console.log('\n### Coverage of the 95% intervals phi +- 1.96 stderr (fraction of players x runs)\n');
  console.log(table(coverageRows));
  console.log('\n### Budgets that cover all 2^n coalitions\n');
  console.log(table(goal1));
  const w = worst.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  console.log(`\nDefault vs antithetic, worst cell: ${w.family} n=${w.n} ${w.budget}: ${w.ratio.toFixed(2)}x antithetic's MSE.`);

  // Goal 4: equal model calls at n <= 8
  const rows = [];
  for (const [family, byN] of Object.entries(games)) {
    for (const n of [6, 8]) {
      const ref = [], def = [], unc = [];
      let calls = 0;
      for (let s = 0; s < seeds; s++) {
        const game = byN[n][s % 4];
        const promed = run(new ig.ShapleyEstimator({ players: n, method: 'promed-reference', budget: 2 ** 25, seed: s, cache: false }), game.values);
        calls += promed.calls / seeds;
        ref.push({ est: promed, phi: game.phi });
        def.push({ est: run(new ig.ShapleyEstimator({ players: n, budget: Math.max(2, promed.calls), seed: s }), game.values), phi: game.phi });
        unc.push({ est: run(new ig.ShapleyEstimator({ players: n, method: 'antithetic', budget: Math.max(2, promed.calls), seed: s, cache: false }), game.values), phi: game.phi });
      }
      const [r, d, u] = [stats(ref).mse, stats(def).mse, stats(unc).mse];
      rows.push({
        family, n, 'mean model calls': calls.toFixed(1),
        'promed-reference MSE': g3(r), 'uncached antithetic MSE': g3(u), 'default MSE': g3(d),
        'promed / default': d > 0 ? (r / d).toFixed(1) : 'inf (exact)', 'uncached anti / default': d > 0 ? (u / d).toFixed(1) : 'inf (exact)',
      });
    }
  }
  console.log('\n### At equal model calls, n <= 8: ProMed\'s sampler (its own stopping rule sets the calls) and an uncached antithetic sampler vs the default with a cache\n');
  console.log(table(rows));
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
