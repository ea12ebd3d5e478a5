// Games with known Shapley values, as dense tables v[mask] (bit i = player i), and float64
// references written from the definitions.

export function popcount(m) {
  let c = 0;
  for (; m; m &= m - 1) c++;
  return c;
}

export function tableOf(n, v) {
  const t = new Float64Array(2 ** n);
  for (let m = 0; m < t.length; m++) t[m] = v(m);
  return t;
}

/** v(S) = c + sum_{i in S} a_i: phi = a. */
export function additiveGame(a, c = 0) {
  return tableOf(a.length, (m) => a.reduce((s, ai, i) => ((m >> i) & 1 ? s + ai : s), c));
}

/** v(S) = 1 when T is inside S: phi_i = 1/|T| for i in T, 0 otherwise. */
export function unanimityGame(n, T) {
  return tableOf(n, (m) => ((m & T) === T ? 1 : 0));
}

/** v(S) = 1 when the weights in S reach the quota. */
export function votingGame(weights, quota) {
  return tableOf(weights.length, (m) => (weights.reduce((s, w, i) => ((m >> i) & 1 ? s + w : s), 0) >= quota ? 1 : 0));
}

/** A random sum of unanimity games, sizes in [minSize, maxSize]: the table and its closed-form phi. */
export function soumGame(r, n, terms, minSize = 1, maxSize = n) {
  const table = new Float64Array(2 ** n), phi = new Float64Array(n);
  for (let t = 0; t < terms; t++) {
    const size = minSize + r.int(maxSize - minSize + 1);
    let T = 0;
    while (popcount(T) < size) T |= 1 << r.int(n);
    T >>>= 0;
    const c = 2 * r.next() - 1;
    for (let m = 0; m < table.length; m++) if (((m & T) >>> 0) === T) table[m] += c;
    for (let i = 0; i < n; i++) if ((T >>> i) & 1) phi[i] += c / size;
  }
  return { table, phi };
}

/** An "answer log-prob" game: v(S) = log sigmoid(b + sum_{i in S} a_i + sum_{i<j in S} B_ij). */
export function logprobGame(r, n) {
  const a = Array.from({ length: n }, () => r.normal());
  const B = Array.from({ length: n * n }, () => (0.3 * r.normal()) / Math.sqrt(n));
  const b = r.normal() - 1;
  return tableOf(n, (m) => {
    let z = b;
    for (let i = 0; i < n; i++) {
      if (!((m >> i) & 1)) continue;
      z += a[i];
      for (let j = i + 1; j < n; j++) if ((m >> j) & 1) z += B[i * n + j];
    }
    return -Math.log1p(Math.exp(-z));
  });
}

function factorial(k) {
  let f = 1;
  for (let i = 2; i <= k; i++) f *= i;
  return f;
}

/** Shapley values by the subset formula: phi_i = sum_{S without i} |S|! (n-1-|S|)! / n! (v(S+i) - v(S)). */
export function refShapley(table) {
  const n = Math.log2(table.length);
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let m = 0; m < table.length; m++) {
      if ((m >> i) & 1) continue;
      const s = popcount(m);
      phi[i] += ((factorial(s) * factorial(n - 1 - s)) / factorial(n)) * (table[m | (1 << i)] - table[m]);
    }
  return phi;
}

/** Shapley values as the mean marginal contribution over all n! orders (n <= 7). */
export function refShapleyByPermutations(table) {
  const n = Math.log2(table.length);
  const phi = new Float64Array(n);
  let count = 0;
  const order = [];
  const visit = (used) => {
    if (order.length === n) {
      let m = 0;
      for (const i of order) {
        phi[i] += table[m | (1 << i)] - table[m];
        m |= 1 << i;
      }
      count++;
      return;
    }
    for (let i = 0; i < n; i++)
      if (!((used >> i) & 1)) {
        order.push(i);
        visit(used | (1 << i));
        order.pop();
      }
  };
  visit(0);
  return phi.map((x) => x / count);
}

/** Banzhaf values: the mean marginal contribution over all coalitions without i. */
export function refBanzhaf(table) {
  const n = Math.log2(table.length);
  const phi = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let m = 0; m < table.length; m++) if (!((m >> i) & 1)) phi[i] += table[m | (1 << i)] - table[m];
  return phi.map((x) => x / 2 ** (n - 1));
}

/** Runs an estimator to completion against a table; returns its estimate and every mask it asked for. */
export function runEstimator(estimator, table, batch = 64) {
  const asked = [];
  for (;;) {
    const masks = estimator.nextBatch(batch);
    if (masks.length === 0) break;
    asked.push(...masks);
    estimator.observe(masks, Float64Array.from(masks, (m) => table[m]));
  }
  return { estimate: estimator.estimate(), asked };
}
