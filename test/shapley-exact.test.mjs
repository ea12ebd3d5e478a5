// shapleyExact against references written from the definitions, closed forms, and the axioms.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, configure, shapleyExact, shapleyExactSync } from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import {
  additiveGame,
  logprobGame,
  refBanzhaf,
  refShapley,
  refShapleyByPermutations,
  soumGame,
  unanimityGame,
  votingGame,
} from './helpers/games.mjs';
import { rng } from './helpers/random.mjs';

const close = (actual, expected, what, atol = 1e-12) => assertClose(actual, expected, { atol, rtol: 1e-12, what });

describe('shapleyExact: games with known values', () => {
  const r = rng();

  test('additive games: phi = the weights, at every n up to 16', () => {
    for (let n = 1; n <= 16; n++) {
      const a = Array.from({ length: n }, () => r.normal() * 3);
      close(shapleyExactSync(additiveGame(a, -40 + r.normal())), a, `additive n=${n}`, 1e-11);
    }
  });

  test('unanimity games: 1/|T| to each member of T, 0 to the rest', () => {
    for (const n of [1, 3, 7, 12, 17]) {
      for (let trial = 0; trial < 3; trial++) {
        let T = 0;
        while (T === 0) T = r.int(2 ** n);
        const size = [...Array(n).keys()].filter((i) => (T >> i) & 1).length;
        const expected = Float64Array.from({ length: n }, (_, i) => ((T >> i) & 1 ? 1 / size : 0));
        close(shapleyExactSync(unanimityGame(n, T)), expected, `unanimity n=${n} T=${T}`);
      }
    }
  });

  test('weighted-voting games against the mean over all n! orders', () => {
    for (const n of [3, 5, 7]) {
      const weights = Array.from({ length: n }, () => 1 + r.int(9));
      const quota = Math.floor(weights.reduce((s, w) => s + w, 0) / 2) + 1;
      const table = votingGame(weights, quota);
      close(shapleyExactSync(table), refShapleyByPermutations(table), `voting n=${n} weights=${weights}`);
    }
  });

  test('random sums of unanimity games (all interaction orders) against the closed form', () => {
    for (const n of [4, 9, 13, 20]) {
      const { table, phi } = soumGame(r, n, 3 * n);
      close(shapleyExactSync(table), phi, `soum n=${n}`, 1e-10);
    }
  });

  test('random tables against the subset formula, Shapley and Banzhaf', () => {
    for (const n of [2, 5, 10, 11, 13]) {
      const table = Float64Array.from({ length: 2 ** n }, () => r.normal() * 5 - 30);
      close(shapleyExactSync(table), refShapley(table), `shapley n=${n}`, 1e-11);
      close(shapleyExactSync(table, { index: 'banzhaf' }), refBanzhaf(table), `banzhaf n=${n}`, 1e-11);
    }
  });

  test('n = 0: one value, no players', () => {
    assert.equal(shapleyExactSync(new Float64Array([3])).length, 0);
  });
});

describe('shapleyExact: axioms', () => {
  const r = rng();
  for (const n of [6, 14, 18]) {
    test(`efficiency, symmetry and dummy, n=${n}`, () => {
      const table = logprobGame(r, n);
      const phi = shapleyExactSync(table);
      const sum = phi.reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(sum - (table[2 ** n - 1] - table[0])) < 1e-10, `efficiency: ${sum} vs ${table[2 ** n - 1] - table[0]}`);
      // players 0 and 1 symmetric, player 2 a dummy: v(S) = g(|S n {0,1}|, S without 0, 1, 2)
      const g = (m) => table[(m & ~7) | ((m & 3) === 0 ? 0 : (m & 3) === 3 ? 3 : 1)];
      const sym = Float64Array.from({ length: 2 ** n }, (_, m) => g(m));
      const p = shapleyExactSync(sym);
      assert.ok(Math.abs(p[0] - p[1]) < 1e-12, `symmetry: ${p[0]} vs ${p[1]}`);
      assert.ok(Math.abs(p[2]) < 1e-12, `dummy: ${p[2]}`);
      const b = shapleyExactSync(sym, { index: 'banzhaf' });
      assert.ok(Math.abs(b[0] - b[1]) < 1e-12 && Math.abs(b[2]) < 1e-12, 'banzhaf symmetry and dummy');
    });
  }
});

describe('shapleyExact: execution', () => {
  test('the result does not depend on the thread count (bitwise)', () => {
    const r = rng();
    const table = Float64Array.from({ length: 2 ** 19 }, () => r.normal());
    const before = backends().cpu.threads;
    configure({ threads: 1 });
    const one = shapleyExactSync(table, { backend: 'cpu' });
    configure({ threads: 3 });
    const three = shapleyExactSync(table, { backend: 'cpu' });
    configure({ threads: before });
    assert.deepEqual(one, three);
  });

  test('every ISA (the row loop is chosen at run time) matches the definition, short rows included', () => {
    const r = rng();
    const order = ['scalar', 'avx2', 'avx512'];
    const available = order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);
    const before = backends().cpu.isa;
    try {
      for (const n of [1, 2, 3, 4, 5, 9, 11, 13]) {
        const table = Float64Array.from({ length: 2 ** n }, () => r.normal() * 5 - 40);
        const expected = refShapley(table);
        for (const isa of available) {
          configure({ isa });
          close(shapleyExactSync(table, { backend: 'cpu' }), expected, `${isa} n=${n}`, 1e-10);
          close(shapleyExactSync(table, { backend: 'cpu', index: 'banzhaf' }), refBanzhaf(table), `${isa} banzhaf n=${n}`, 1e-10);
        }
      }
    } finally {
      configure({ isa: before });
    }
  });

  test('n = 20 against the closed form, and the Promise form', async () => {
    const { table, phi } = soumGame(rng(), 20, 60);
    close(await shapleyExact(table), phi, 'async n=20', 1e-10);
  });

  // n = 24: 2^16 rows in 64 tasks of 1024, so a task's row index spans more bits than its per-row
  // sums' low table (shapley_exact.cpp: lowSums, highSums and the bits fixed within a task)
  test('n = 24 against the closed form', () => {
    const { table, phi } = soumGame(rng(), 24, 8);
    close(shapleyExactSync(table), phi, 'n=24', 1e-9);
  });

  test('large offsets cost no precision (log-probs near -1e4)', () => {
    const r = rng();
    const a = Array.from({ length: 12 }, () => r.normal() * 1e-3);
    close(shapleyExactSync(additiveGame(a, -1e4)), a, 'offset -1e4', 1e-11);
  });

  test('the CUDA backend agrees with the CPU', { skip: !backends().cuda && 'no CUDA device in this process' }, () => {
    const { table } = soumGame(rng(), 18, 40);
    close(shapleyExactSync(table, { backend: 'cuda' }), shapleyExactSync(table, { backend: 'cpu' }), 'cuda n=18', 1e-10);
  });
});
