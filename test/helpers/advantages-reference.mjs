// Float64 references for the advantages family, written from the reference code's definitions
// (verl core_algos, InfoPO compute_info_grpo_advantage, IGPO compute_grpo_outcome_advantage,
// ProMed, EMPG's pseudocode, SAR, PAR, Clip / Delta, InSight). Plain loops, one concept each.

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** torch.std (unbiased) of a plain array; NaN for one element. */
export function stdUnbiased(xs) {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
function stdPopulation(xs) {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
}

/** Map id -> list of sample indices, plus the ids ascending. */
export function groupsOf(ids) {
  const members = new Map();
  ids.forEach((id, i) => {
    if (!members.has(id)) members.set(id, []);
    members.get(id).push(i);
  });
  return { members, sorted: [...members.keys()].sort((a, b) => a - b) };
}

/** verl's masked_whiten over weighted values: (x - mean) / sqrt(var_unbiased + eps). */
function whiten(values, weights, eps) {
  let w = 0, s = 0;
  values.forEach((x, i) => ((w += weights[i]), (s += weights[i] * x)));
  const m = s / w;
  let ss = 0;
  values.forEach((x, i) => (ss += weights[i] * (x - m) ** 2));
  const v = ss / (w - 1);
  return values.map((x) => (x - m) / Math.sqrt(v + eps));
}

/** The GRPO family on one score per sample (verl compute_*_outcome_advantage). */
export function refGroupAdvantages(scores, ids, o = {}) {
  const { estimator = 'grpo', std = 'unbiased', eps = 1e-6, singleton = 'verl', normalizeByStd = true, whitenEps = 1e-8, tokenCounts } = o;
  const { members, sorted } = groupsOf(ids);
  const center = new Map();
  for (const [id, idx] of members) {
    const xs = idx.map((i) => scores[i]);
    if (xs.length === 1) center.set(id, singleton === 'verl' ? { mean: 0, std: 1 } : { mean: xs[0], std: NaN });
    else center.set(id, { mean: mean(xs), std: std === 'unbiased' ? stdUnbiased(xs) : stdPopulation(xs) });
  }
  const out = new Float64Array(scores.length);
  if (estimator === 'passk') {
    for (const [id, idx] of members) {
      const order = [...idx].sort((a, b) => scores[b] - scores[a] || a - b);
      let a = scores[order[0]] - scores[order[1]];
      if (normalizeByStd) a /= center.get(id).std + eps;
      out[order[0]] = a;
    }
  } else {
    for (let i = 0; i < scores.length; i++) {
      const c = center.get(ids[i]), k = members.get(ids[i]).length, x = scores[i];
      if (estimator === 'grpo') out[i] = normalizeByStd ? (x - c.mean) / (c.std + eps) : x - c.mean;
      else if (estimator === 'drgrpo' || estimator === 'reinforce++-baseline') out[i] = x - c.mean;
      else if (estimator === 'rloo') {
        const others = members.get(ids[i]).filter((j) => j !== i).map((j) => scores[j]);
        out[i] = k > 1 ? x - mean(others) : singleton === 'verl' ? x : NaN;
      }
    }
    if (estimator === 'reinforce++-baseline') {
      const w = tokenCounts ? [...tokenCounts] : scores.map(() => 1);
      out.set(whiten([...out], w, whitenEps));
    }
  }
  return {
    advantages: out,
    groups: {
      ids: sorted,
      mean: sorted.map((id) => center.get(id).mean),
      std: sorted.map((id) => center.get(id).std),
      count: sorted.map((id) => members.get(id).length),
    },
  };
}

/** verl's reinforce++-baseline exactly as written: tile the centered score over [bs, T], mask, masked_whiten. */
export function refVerlReinforceBaseline(scores, ids, mask, T) {
  const { members } = groupsOf(ids);
  const centered = scores.map((x, i) => {
    const g = members.get(ids[i]);
    return g.length === 1 ? x : x - mean(g.map((j) => scores[j]));
  });
  const vals = [], where = [];
  for (let b = 0; b < scores.length; b++) for (let t = 0; t < T; t++) if (mask[b * T + t]) (vals.push(centered[b]), where.push(b));
  const wh = whiten(vals, vals.map(() => 1), 1e-8);
  const perSample = new Float64Array(scores.length).fill(NaN);
  wh.forEach((v, k) => (perSample[where[k]] = v));
  return perSample;
}

/** Iterates the rows of a layout: { rows, begin(r), end(r), valid(t), tokens }. */
export function layoutOf(layout, rows) {
  const mask = layout.mask;
  if (layout.offsets) {
    const o = layout.offsets;
    return { rows: o.length - 1, tokens: o[o.length - 1], begin: (r) => o[r], end: (r) => o[r + 1], valid: (t) => !mask || mask[t] === 1 };
  }
  const c = layout.columns;
  return { rows, tokens: rows * c, begin: (r) => r * c, end: (r) => (r + 1) * c, valid: (t) => !mask || mask[t] === 1 };
}

export function refBroadcast(perSample, L) {
  const out = new Float64Array(L.tokens);
  for (let r = 0; r < L.rows; r++) for (let t = L.begin(r); t < L.end(r); t++) out[t] = L.valid(t) ? perSample[r] : 0;
  return out;
}

/** REINFORCE++: verl's loop (gaps 'reset'), or the return over valid tokens only (gaps 'bridge'); then masked_whiten. */
export function refReinforcePP(rewards, L, { gamma = 1, maskGaps = 'bridge', whitenEps = 1e-8 } = {}) {
  const returns = new Float64Array(L.tokens);
  for (let r = 0; r < L.rows; r++) {
    let running = 0;
    for (let t = L.end(r) - 1; t >= L.begin(r); t--) {
      if (maskGaps === 'reset') {
        // verl: running = r_t + gamma * running; returns[t] = running; running *= mask[t]
        const rt = L.valid(t) ? rewards[t] : 0;  // a masked reward never reaches a valid token either way
        running = rt + gamma * running;
        returns[t] = L.valid(t) ? running : 0;
        if (!L.valid(t)) running = 0;
      } else if (L.valid(t)) {
        running = rewards[t] + gamma * running;
        returns[t] = running;
      }
    }
  }
  const idx = [];
  for (let t = 0; t < L.tokens; t++) if (L.valid(t)) idx.push(t);
  const wh = whiten(idx.map((t) => returns[t]), idx.map(() => 1), whitenEps);
  const advantages = new Float64Array(L.tokens);
  idx.forEach((t, k) => (advantages[t] = wh[k]));
  return { advantages, returns };
}

/** ProMed compute_token_level_group_advantages: r - mean of r over every valid token of the group. */
export function refPromed(rewards, L, ids) {
  const { members, sorted } = groupsOf(ids);
  const means = new Map();
  for (const [id, rows] of members) {
    const vals = [];
    for (const r of rows) for (let t = L.begin(r); t < L.end(r); t++) if (L.valid(t)) vals.push(rewards[t]);
    means.set(id, vals.length ? mean(vals) : NaN);
  }
  const out = new Float64Array(L.tokens);
  for (let r = 0; r < L.rows; r++) for (let t = L.begin(r); t < L.end(r); t++) out[t] = L.valid(t) ? rewards[t] - means.get(ids[r]) : 0;
  return { advantages: out, mean: sorted.map((id) => means.get(id)) };
}

/**
 * InfoPO compute_info_grpo_advantage (single-turn path = Equalized credits on every valid token),
 * written as the reference: intrinsic statistics over the group's valid tokens whose reward is != 0.
 * `present` (optional) replaces the != 0 test, which is the documented difference.
 */
export function refInfopo(scores, intrinsic, L, ids, o = {}, present) {
  const { beta = 0.5, temperature = 0.5, decay = 0, epoch = 0, eps = 1e-6, baselineStd = 1, normalizeByStd = true, normalizeIntrinsic = true } = o;
  const betaT = beta * Math.exp(-decay * epoch);
  const { members } = groupsOf(ids);
  const oStat = new Map();
  for (const [id, rows] of members) {
    const xs = rows.map((r) => scores[r]);
    oStat.set(id, xs.length === 1 ? { mean: 0, std: 1 } : { mean: mean(xs), std: stdUnbiased(xs) });
  }
  const outcome = scores.map((s, r) => {
    const c = oStat.get(ids[r]);
    return normalizeByStd ? (s - c.mean) / (c.std + eps) : s - c.mean;
  });
  const has = (t) => (present ? present[t] === 1 : intrinsic[t] !== 0);
  const iStat = new Map();
  for (const [id, rows] of members) {
    const vals = [];
    for (const r of rows) for (let t = L.begin(r); t < L.end(r); t++) if (L.valid(t) && has(t)) vals.push(intrinsic[t]);
    if (vals.length === 1) iStat.set(id, { mean: vals[0], std: 1 });
    else if (vals.length > 1) iStat.set(id, { mean: mean(vals), std: stdUnbiased(vals) });
  }
  const aInt = new Float64Array(L.tokens);
  for (let r = 0; r < L.rows; r++)
    for (let t = L.begin(r); t < L.end(r); t++) {
      if (!L.valid(t) || !has(t)) continue;
      if (!normalizeIntrinsic) aInt[t] = intrinsic[t];
      else {
        const c = iStat.get(ids[r]);
        aInt[t] = normalizeByStd ? (intrinsic[t] - c.mean) / (c.std + eps) : intrinsic[t] - c.mean;
      }
    }
  const validOut = [], validInt = [];
  for (let r = 0; r < L.rows; r++) for (let t = L.begin(r); t < L.end(r); t++) if (L.valid(t)) (validOut.push(outcome[r]), validInt.push(aInt[t]));
  const sd = (xs) => (xs.length >= 2 ? stdUnbiased(xs) : 0);
  const outcomeStd = sd(validOut), intrinsicStd = sd(validInt);
  const ratio = Math.min(1, Math.max(outcomeStd + eps, baselineStd) / (intrinsicStd + eps));
  const gate = scores.map((_, r) => 1 / (1 + Math.exp(oStat.get(ids[r]).std / temperature)));
  const advantages = new Float64Array(L.tokens);
  for (let r = 0; r < L.rows; r++)
    for (let t = L.begin(r); t < L.end(r); t++) if (L.valid(t)) advantages[t] = outcome[r] + betaT * gate[r] * ratio * aInt[t];
  return { advantages, outcome, gate, ratio, betaT, outcomeStd, intrinsicStd };
}

/**
 * IGPO as the Feb-2026 reference computes it, from token-level rewards: F1 on the row's last
 * valid token and looked for at `f1At`, gains on their end tokens (an exact 0 becomes 1e-10, as info_gain.py does), masks
 * f1_mask / ig_mask (response_mask & !f1 & r != 0), population std sqrt(var + 1e-8) (1 below two
 * values), then the turn-level accumulation over the positions whose normalized value is != 0.
 * f1At 'count' is the reference's sum(mask) - 1; 'last' is the index of the last valid token.
 */
export function refIgpoSentinel(input, L, ids, o = {}, f1At = 'last') {
  const { normalization = 'joint', gamma = 1, eps = 1e-6, outcomeWeight = 1, gainWeight = 1, normalizeByStd = true } = o;
  const r = new Float64Array(L.tokens), f1 = new Uint8Array(L.tokens), ig = new Uint8Array(L.tokens);
  for (let b = 0; b < L.rows; b++) {
    for (let k = input.gainOffsets[b]; k < input.gainOffsets[b + 1]; k++) {
      const g = input.gains[k];
      r[L.begin(b) + input.gainEnds[k]] = g === 0 ? 1e-10 : g;
    }
    let count = 0, last = -1;
    for (let t = L.begin(b); t < L.end(b); t++) if (L.valid(t)) (count++, (last = t - L.begin(b)));
    r[L.begin(b) + last] = input.outcome[b];  // the reward manager puts the score on the response's last token
    const f1Pos = L.begin(b) + (f1At === 'count' ? count - 1 : last);  // where compute_grpo_outcome_advantage looks for it
    if (L.valid(f1Pos)) f1[f1Pos] = 1;
    for (let t = L.begin(b); t < L.end(b); t++) if (L.valid(t) && !f1[t] && r[t] !== 0) ig[t] = 1;
  }
  for (let t = 0; t < L.tokens; t++) r[t] *= f1[t] ? outcomeWeight : ig[t] ? gainWeight : 1;
  const { members } = groupsOf(ids);
  const statsOver = (sel) => {
    const s = new Map();
    for (const [id, rows] of members) {
      const vals = [];
      for (const b of rows) for (let t = L.begin(b); t < L.end(b); t++) if (sel[t]) vals.push(r[t]);
      const m = vals.length ? mean(vals) : 0;
      const sd = vals.length > 1 ? Math.sqrt(vals.reduce((a, x) => a + (x - m) ** 2, 0) / vals.length + 1e-8) : 1;
      s.set(id, { mean: m, std: sd, count: vals.length });
    }
    return s;
  };
  const norm = new Float64Array(L.tokens);
  const sets = normalization === 'separate' ? [f1, ig] : [f1.map((x, t) => x | ig[t])];
  const stats = [];
  for (const sel of sets) {
    const s = statsOver(sel);
    stats.push(s);
    for (let b = 0; b < L.rows; b++)
      for (let t = L.begin(b); t < L.end(b); t++)
        if (sel[t]) {
          const c = s.get(ids[b]);
          norm[t] = normalizeByStd ? (r[t] - c.mean) / (c.std + eps) : r[t] - c.mean;
        }
  }
  const advantages = new Float64Array(L.tokens);
  for (let b = 0; b < L.rows; b++) {
    const positions = [];
    for (let t = L.begin(b); t < L.end(b); t++) if (norm[t] !== 0) positions.push(t);
    const turnAdv = new Array(positions.length);
    let next = 0;
    for (let k = positions.length - 1; k >= 0; k--) next = turnAdv[k] = norm[positions[k]] + gamma * next;
    let prev = L.begin(b);
    positions.forEach((p, k) => {
      for (let t = prev; t <= p; t++) if (L.valid(t)) advantages[t] = turnAdv[k];
      prev = p + 1;
    });
  }
  return { advantages, stats };
}

/** EMPG (project-page pseudocode), then the chosen final normalization over steps (weighted). */
export function refEmpg(entropy, advantage, stepOffsets, o = {}, stepTokens) {
  const { k = 1, kf = 1, zeta = 0.1, finalNormalization = 'center' } = o;
  const H = [...entropy];
  const lo = Math.min(...H), hi = Math.max(...H);
  const hn = H.map((h) => (h - lo) / (hi - lo + 1e-8));
  const gu = hn.map((x) => Math.exp(-k * x));
  const g = gu.map((x) => x / (mean(gu) + 1e-8));
  const f = hn.map((x) => Math.exp(-kf * x));
  const a = new Float64Array(H.length), bonus = new Float64Array(H.length);
  for (let i = 0; i + 1 < stepOffsets.length; i++)
    for (let s = stepOffsets[i]; s < stepOffsets[i + 1]; s++) {
      bonus[s] = s + 1 < stepOffsets[i + 1] ? zeta * f[s + 1] : 0;
      a[s] = g[s] * advantage[i] + bonus[s];
    }
  if (finalNormalization !== 'none') {
    const w = stepTokens ? [...stepTokens] : H.map(() => 1);
    const W = w.reduce((x, y) => x + y, 0);
    const m = a.reduce((acc, x, s) => acc + w[s] * x, 0) / W;
    const sd = Math.sqrt(a.reduce((acc, x, s) => acc + w[s] * (x - m) ** 2, 0) / (W - 1));
    for (let s = 0; s < a.length; s++) a[s] = finalNormalization === 'center' ? a[s] - m : (a[s] - m) / (sd + 1e-8);
  }
  return { advantages: a, scale: g, bonus };
}

/** SAR compute_ppl_qa_log on perplexities exp(-mean log-prob). */
export function refSar(conditioned, unconditioned, o = {}) {
  const { useLog = false, useDenominator = true, useComparison = true, clipValue = -1 } = o;
  return conditioned.map((c, i) => {
    const pplQa = Math.exp(-c), pplA = Math.exp(-unconditioned[i]);
    let qa = useLog ? Math.log(pplQa) : pplQa, a = useLog ? Math.log(pplA) : pplA;
    if (clipValue > 1) (qa = Math.min(qa, clipValue)), (a = Math.min(a, clipValue));
    if (!useComparison) return -qa + 5;
    return useDenominator ? Math.max((a - qa) / (a + 1e-9), -1) : a - qa;
  });
}

/** PAR reward_shaper: length penalty, then the mean relative sigmoid over the first maxref references. */
export function refPar(rewards, refsOf, o = {}, lengths) {
  const { k = 1, maxReferences = 10, lengthThreshold = 300, lengthPenalty = 0.01 } = o;
  return rewards.map((r0, i) => {
    let r = r0;
    if (lengths && lengths[i] > lengthThreshold) r -= lengthPenalty * (lengths[i] - lengthThreshold);
    const refs = refsOf(i).slice(0, maxReferences);
    return refs.reduce((s, ref) => s + 1 / (1 + Math.exp(-k * (r - ref))), 0) / refs.length;
  });
}

/** Clip / Delta per trajectory. */
export function refClipDelta(rewards, stepOffsets, { mode = 'clip-delta', eta = 0, lastStep = 'zero' } = {}) {
  const out = new Float64Array(rewards.length);
  for (let i = 0; i + 1 < stepOffsets.length; i++) {
    const b = stepOffsets[i], e = stepOffsets[i + 1];
    const x = [];
    for (let s = b; s < e; s++) x.push(mode === 'delta' ? rewards[s] : Math.min(rewards[s] - eta, 0));
    for (let s = b; s < e; s++) {
      const j = s - b;
      if (mode === 'clip') out[s] = x[j];
      else out[s] = j + 1 < x.length ? x[j] - x[j + 1] : lastStep === 'zero' ? 0 : x[j];
    }
  }
  return out;
}

/** ln Gamma by Lanczos (g = 7, n = 9), for x > 0. */
export function logGamma(x) {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * InSight's mutual information I(p; k outcomes), p ~ Beta(a, b), from the definition:
 * H(outcomes) from the Beta-Binomial sequence probabilities (log-Beta by Lanczos), and
 * E[H_b(p)] by Simpson integration of H_b(p) against the Beta density.
 */
export function refInsightMI(a, b, k) {
  const logB = (x, y) => logGamma(x) + logGamma(y) - logGamma(x + y);
  let h = 0;
  for (let j = 0; j <= k; j++) {
    const logP = logB(a + j, b + k - j) - logB(a, b);
    const logC = logGamma(k + 1) - logGamma(j + 1) - logGamma(k - j + 1);
    h -= Math.exp(logC + logP) * logP;
  }
  const n = 20000, dx = 1 / n;
  let integral = 0;
  for (let i = 0; i <= n; i++) {
    const p = i * dx;
    const hb = p <= 0 || p >= 1 ? 0 : -p * Math.log(p) - (1 - p) * Math.log(1 - p);
    const dens = p <= 0 || p >= 1 ? 0 : Math.exp((a - 1) * Math.log(p) + (b - 1) * Math.log(1 - p) - logB(a, b));
    integral += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * hb * dens;
  }
  return h - k * (integral * dx) / 3;
}
