// Float64 references for the uncertainty rewards (Nous, C-IP, PEAR), written from the definitions
// in docs/uncertainty.md: plain loops over plain numbers, one concept each.

/** Softmax of xs / T in float64: probabilities and entropy (nats); -Infinity entries get p = 0. */
export function refSoftmax(xs, temperature = 1) {
  const m = xs.reduce((a, x) => (x > a ? x : a), -Infinity);
  const z = xs.map((x) => (x === -Infinity ? -Infinity : (x - m) / temperature));
  const sum = z.reduce((s, v) => s + Math.exp(v), 0);
  const p = z.map((v) => Math.exp(v) / sum);
  const entropy = -p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0);
  return { p, entropy };
}

/** groups of a flat array cut by offsets: [[...], ...] */
export function cut(values, offsets) {
  const out = [];
  for (let g = 0; g + 1 < offsets.length; g++) out.push(Array.from(values.slice(offsets[g], offsets[g + 1])));
  return out;
}

const identity = (n) => Int32Array.from({ length: n + 1 }, (_, i) => i);

/** Nous: per belief p and H, per step H(S_t), gains within rollouts, per-attribute gains, returns. */
export function refBeliefEntropy({ candidateLogits, candidates, steps, rollouts }, temperature = 1) {
  const groups = cut(candidateLogits, candidates);
  steps ??= identity(groups.length);
  rollouts ??= Int32Array.of(0, steps.length - 1);
  const beliefs = [], entropies = groups.map((xs) => {
    const s = refSoftmax(xs, temperature);
    beliefs.push(...s.p);
    return s.entropy;
  });
  const stepEntropies = [];
  for (let s = 0; s + 1 < steps.length; s++) {
    let h = 0;
    for (let b = steps[s]; b < steps[s + 1]; b++) h += entropies[b];
    stepEntropies.push(h);
  }
  const gains = stepEntropies.map(() => 0), hasGain = stepEntropies.map(() => 0), attributeGains = entropies.map(() => 0), returns = [];
  for (let r = 0; r + 1 < rollouts.length; r++) {
    let total = 0;
    for (let s = rollouts[r] + 1; s < rollouts[r + 1]; s++) {
      gains[s] = stepEntropies[s - 1] - stepEntropies[s];
      hasGain[s] = 1;
      total += gains[s];
      for (let k = 0; k < steps[s + 1] - steps[s]; k++) attributeGains[steps[s] + k] = entropies[steps[s - 1] + k] - entropies[steps[s] + k];
    }
    returns.push(total);
  }
  return { beliefs, entropies, attributeGains, stepEntropies, gains, hasGain, returns };
}

/** The rows of a C-IP input as arrays of float64 logits: ragged groups, or the widened dense rows. */
export function refRows(input, wide) {
  if (!input.logits) return cut(input.candidateLogits, input.candidates);
  const { rows, vocab } = input.logits;
  return Array.from({ length: rows }, (_, r) => Array.from(wide.slice(r * vocab, (r + 1) * vocab)));
}

/** Nonconformity scores 1 - p(y | x) of every candidate of every row. */
export function refScores(rows, temperature = 1) {
  return rows.map((xs) => refSoftmax(xs, temperature).p.map((p) => 1 - p));
}

/** conformalQuantile: 'conformal' = ceil((n + 1)(1 - alpha))-th smallest (+Infinity past n); 'empirical' = numpy 'higher'. */
export function refQuantile(scores, alpha, method = 'conformal') {
  const s = [...scores].sort((a, b) => a - b), n = s.length;
  if (method === 'conformal') {
    const k = Math.ceil((n + 1) * (1 - alpha));
    return k > n ? Infinity : s[k - 1];
  }
  return s[Math.ceil((n - 1) * (1 - alpha))];
}

/**
 * Set sizes with a margin for rounding: lo counts scores below qhat - tol, hi scores up to
 * qhat + tol; an exact implementation lands in [lo, hi] (lo === hi away from ties).
 */
export function refSetSizes(rowScores, qhat, tol) {
  return rowScores.map((ss, r) => {
    const q = typeof qhat === 'number' ? qhat : qhat[r];
    if (q >= 1) return { lo: ss.length, hi: ss.length };
    return { lo: ss.filter((s) => s < q - tol).length, hi: ss.filter((s) => s <= q + tol).length };
  });
}

/** Per step: the mean size, or C-IP's Fano bound (bits) from sizes, coverage and row sizes K. */
export function refStepUncertainty(sizes, covered, rowSizes, steps, uncertainty = 'size', alpha) {
  steps ??= identity(sizes.length);
  const out = [];
  for (let s = 0; s + 1 < steps.length; s++) {
    const rows = [];
    for (let r = steps[s]; r < steps[s + 1]; r++) rows.push(r);
    if (uncertainty === 'size') {
      out.push(rows.reduce((a, r) => a + sizes[r], 0) / rows.length);
      continue;
    }
    const hb = -(alpha * Math.log2(alpha) + (1 - alpha) * Math.log2(1 - alpha));
    const inSet = rows.filter((r) => covered[r]), outSet = rows.filter((r) => !covered[r]);
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    out.push(hb + (1 - alpha) * mean(inSet.map((r) => Math.log2(sizes[r]))) + alpha * mean(outSet.map((r) => Math.log2(rowSizes[r] - sizes[r]))));
  }
  return out;
}

/** Gains within rollouts: u[s - 1] - u[s], 0 (and hasGain 0) at each rollout's first step. */
export function refStepGains(u, rollouts) {
  rollouts ??= Int32Array.of(0, u.length);
  const gains = u.map(() => 0), hasGain = u.map(() => 0);
  for (let r = 0; r + 1 < rollouts.length; r++)
    for (let s = rollouts[r] + 1; s < rollouts[r + 1]; s++) {
      gains[s] = u[s - 1] - u[s];
      hasGain[s] = 1;
    }
  return { gains, hasGain };
}

/** PEAR: phase means around each response's delimiter [start, end), and the linear reward. */
export function refPhaseEntropy({ entropies, offsets, delimiters, tokens, delimiter, correctness }, { alpha, beta = 0 }) {
  const out = { thinkEntropy: [], answerEntropy: [], thinkTokens: [], answerTokens: [], delimiterStart: [], rewards: [] };
  const mean = (a, b) => (b > a ? Array.from(entropies.slice(a, b)).reduce((s, v) => s + v, 0) / (b - a) : 0);
  for (let r = 0; r + 1 < offsets.length; r++) {
    const b = offsets[r], e = offsets[r + 1];
    let s, d, found = true;
    if (delimiters) [s, d] = [delimiters[2 * r], delimiters[2 * r + 1]];
    else {
      s = -1;
      for (let p = b; p + delimiter.length <= e && s < 0; p++) if (delimiter.every((id, k) => tokens[p + k] === id)) s = p;
      found = s >= 0;
      [s, d] = found ? [s, s + delimiter.length] : [e, e];
    }
    const hThink = mean(b, s), hAnswer = mean(d, e);
    out.thinkEntropy.push(hThink);
    out.answerEntropy.push(hAnswer);
    out.thinkTokens.push(s - b);
    out.answerTokens.push(e - d);
    out.delimiterStart.push(found ? s : -1);
    out.rewards.push(correctness[r] - alpha * hThink - beta * hAnswer);
  }
  return out;
}
