// Float64 references for the divergence family, written from the definitions.

function logSoftmax(wide, offset, vocab, temperature) {
  let m = -Infinity;
  for (let j = 0; j < vocab; j++) m = Math.max(m, wide[offset + j] / temperature);
  let s = 0;
  for (let j = 0; j < vocab; j++) s += Math.exp(wide[offset + j] / temperature - m);
  const lse = m + Math.log(s);
  return Float64Array.from({ length: vocab }, (_, j) => wide[offset + j] / temperature - lse);
}

/** sum a log(a / b) over entries with a > 0 (log-probs la, lb); +Infinity where b = 0 < a. */
function klOfLogs(la, lb) {
  let kl = 0;
  for (let j = 0; j < la.length; j++) {
    if (la[j] === -Infinity) continue;
    if (lb[j] === -Infinity) return Infinity;
    kl += Math.exp(la[j]) * (la[j] - lb[j]);
  }
  return kl;
}

// log m = log((a + b) / 2) is taken from the logs: with a the smallest denormal and b = 0, m = (a + b) / 2
// underflows to 0 and 0.5 a to 0, and 0.5 a log(a / m) was 0 * Infinity = NaN (seen at |logits| ~1e4).
function jsOfLogs(la, lb) {
  let js = 0;
  for (let j = 0; j < la.length; j++) {
    const hi = Math.max(la[j], lb[j]);
    if (hi === -Infinity) continue;
    const lm = hi + Math.log1p(Math.exp(Math.min(la[j], lb[j]) - hi)) - Math.LN2;
    if (la[j] > -Infinity) js += 0.5 * Math.exp(la[j]) * (la[j] - lm);
    if (lb[j] > -Infinity) js += 0.5 * Math.exp(lb[j]) * (lb[j] - lm);
  }
  return js;
}

/** Divergence between softmax(p[r] / T) and softmax(q[r] / T) for every row. */
export function refDivergence(wideP, wideQ, rows, vocab, { temperature = 1, direction = 'forward' } = {}) {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const lp = logSoftmax(wideP, r * vocab, vocab, temperature), lq = logSoftmax(wideQ, r * vocab, vocab, temperature);
    out[r] =
      direction === 'forward' ? klOfLogs(lp, lq)
      : direction === 'reverse' ? klOfLogs(lq, lp)
      : direction === 'symmetric' ? klOfLogs(lp, lq) + klOfLogs(lq, lp)
      : jsOfLogs(lp, lq);
  }
  return out;
}

/** verl's estimators on the sampled tokens' log-probs a (policy) and b (reference). */
export function refLogRatio(a, b, estimator = 'k1', clamp = false) {
  return Float64Array.from(a, (ai, i) => {
    const d = ai - b[i];
    if (estimator === 'k1') return d;
    if (estimator === 'abs') return Math.abs(d);
    if (estimator === 'k2') return 0.5 * d * d;
    let r = -d;
    if (clamp) r = Math.min(20, Math.max(-20, r));
    const k3 = r === Infinity ? Infinity : Math.expm1(r) - r;
    return clamp ? Math.min(10, Math.max(-10, k3)) : k3;
  });
}

/** Per-span sum or mean of values. */
export function refSpans(values, spans, reduce = 'mean') {
  const out = new Float64Array(spans.length / 2);
  for (let k = 0; k < out.length; k++) {
    let sum = 0;
    for (let i = spans[2 * k]; i < spans[2 * k + 1]; i++) sum += values[i];
    out[k] = reduce === 'sum' ? sum : sum / (spans[2 * k + 1] - spans[2 * k]);
  }
  return out;
}

/**
 * The top-k approximation of one row, as documented (native/core/topk_kl.h): known entries per
 * side (Map id -> prob), tail T = 1 - sum, cap = smallest top-k prob; over the union, an id a side
 * lacks gets min(T / (m + 1), cap), and the rest of T is one bucket.
 */
export function refTopkRow(pKnown, qKnown, pCap, qCap, direction = 'forward') {
  const ids = [...new Set([...pKnown.keys(), ...qKnown.keys()])];
  const side = (known, cap) => {
    let sum = 0;
    for (const v of known.values()) sum += v;
    const scale = sum > 1 ? 1 / sum : 1;
    const tail = sum > 1 ? 0 : 1 - sum;
    const missing = ids.filter((id) => !known.has(id)).length;
    const share = Math.min(tail / (missing + 1), cap);
    const probs = ids.map((id) => (known.has(id) ? known.get(id) * scale : share));
    probs.push(tail - missing * share);
    return probs;
  };
  const P = side(pKnown, pCap), Q = side(qKnown, qCap);
  const kl = (a, b) => a.reduce((s, ai, i) => s + (ai <= 0 ? 0 : b[i] <= 0 ? Infinity : ai * Math.log(ai / b[i])), 0);
  if (direction === 'forward') return Math.max(0, kl(P, Q));
  if (direction === 'reverse') return Math.max(0, kl(Q, P));
  if (direction === 'symmetric') return Math.max(0, kl(P, Q) + kl(Q, P));
  const M = P.map((a, i) => (a + Q[i]) / 2);
  return Math.min(Math.log(2), Math.max(0, 0.5 * kl(P, M) + 0.5 * kl(Q, M)));
}
