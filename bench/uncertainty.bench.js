// The uncertainty rewards, each against a plain-JS implementation of the same definition in the
// same run: beliefEntropyGain (Nous) on ragged beliefs, predictionSetSizes (C-IP) on ragged rows
// and on a [rows, 151936] logits matrix (next to tokenLogprobs on the same matrix and the read
// floor), conformalQuantile on 1M scores, phaseEntropyRewards (PEAR) on 4M packed tokens.
'use strict';
const ig = require('../dist/index.js');
const { fmt, machine, random, readFloor, table, time } = require('./lib/harness.js');

/** Softmax over x[b, e) / T in float64: calls visit(j, p, z) per candidate; returns log Z. */
function jsSoftmax(x, b, e, T, visit) {
  let m = -Infinity;
  for (let j = b; j < e; j++) if (x[j] > m) m = x[j];
  let sum = 0;
  for (let j = b; j < e; j++) sum += Math.exp((x[j] - m) / T);
  const logZ = Math.log(sum);
  if (visit) for (let j = b; j < e; j++) {
    const z = (x[j] - m) / T;
    visit(j, Math.exp(z - logZ), z);
  }
  return logZ;
}

function jsBeliefEntropy(x, candidates, steps, rollouts) {
  const beliefs = candidates.length - 1, H = new Float64Array(beliefs), stepH = new Float64Array(steps.length - 1);
  const probs = new Float32Array(x.length);
  for (let b = 0; b < beliefs; b++) {
    let w = 0;
    const logZ = jsSoftmax(x, candidates[b], candidates[b + 1], 1, (j, p, z) => {
      probs[j] = p;
      if (p > 0) w += p * z;
    });
    H[b] = logZ - w;
  }
  for (let s = 0; s < stepH.length; s++) for (let b = steps[s]; b < steps[s + 1]; b++) stepH[s] += H[b];
  const gains = new Float32Array(stepH.length), returns = new Float32Array(rollouts.length - 1);
  for (let r = 0; r + 1 < rollouts.length; r++)
    for (let s = rollouts[r] + 1; s < rollouts[r + 1]; s++) returns[r] += gains[s] = stepH[s - 1] - stepH[s];
  return { probs, gains, returns };
}

function jsRaggedSets(x, candidates, qhat) {
  const rows = candidates.length - 1, sizes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) jsSoftmax(x, candidates[r], candidates[r + 1], 1, (j, p) => (sizes[r] += 1 - p <= qhat));
  return sizes;
}

/** Dense rows: max, sum of exp, then the count against x >= lse + log(1 - qhat). */
function jsDenseSets(data, rows, vocab, qhat) {
  const sizes = new Int32Array(rows), shift = Math.log1p(-qhat);
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    let m = -Infinity, s = 0;
    for (let j = 0; j < vocab; j++) if (data[o + j] > m) m = data[o + j];
    for (let j = 0; j < vocab; j++) s += Math.exp(data[o + j] - m);
    const threshold = m + Math.log(s) + shift;
    let n = 0;
    for (let j = 0; j < vocab; j++) n += data[o + j] >= threshold;
    sizes[r] = n;
  }
  return sizes;
}

function jsQuantile(scores, alpha) {
  const sorted = Float64Array.from(scores).sort();
  const k = Math.ceil((scores.length + 1) * (1 - alpha));
  return k > scores.length ? Infinity : sorted[k - 1];
}

function jsPhaseEntropy(entropies, offsets, tokens, delimiter, correctness, alpha) {
  const n = offsets.length - 1, rewards = new Float32Array(n), d = delimiter.length;
  for (let r = 0; r < n; r++) {
    const b = offsets[r], e = offsets[r + 1];
    let at = e;
    for (let p = b; p + d <= e && at === e; p++) {
      let k = 0;
      while (k < d && tokens[p + k] === delimiter[k]) k++;
      if (k === d) at = p;
    }
    let think = 0;
    for (let j = b; j < at; j++) think += entropies[j];
    rewards[r] = correctness[r] - alpha * (at > b ? think / (at - b) : 0);
  }
  return rewards;
}

function main() {
  const next = random(11);
  const opt = { maxTime: 2, minSamples: 8 };
  const out = [];
  const row = (what, native, js, note = '') =>
    out.push({ case: what, 'infogain ms': fmt.ms(native.median), 'plain JS ms': fmt.ms(js.median), 'vs JS': fmt.x(js.median / native.median), note });

  // Nous: 4096 rollouts x 8 steps x 4 attributes x 16 candidates = 2M candidate logits
  const [R, S, A, K] = [4096, 8, 4, 16];
  const beliefs = R * S * A;
  const x = Float32Array.from({ length: beliefs * K }, () => 3 * (next() - 0.5));
  const candidates = Int32Array.from({ length: beliefs + 1 }, (_, i) => i * K);
  const steps = Int32Array.from({ length: R * S + 1 }, (_, i) => i * A);
  const rollouts = Int32Array.from({ length: R + 1 }, (_, i) => i * S);
  const nous = { candidateLogits: x, candidates, steps, rollouts };
  row(`beliefEntropyGain, ${R} rollouts x ${S} steps x ${A} attributes x ${K} candidates`,
    time('ig nous', () => ig.beliefEntropyGainSync(nous), opt), time('js nous', () => jsBeliefEntropy(x, candidates, steps, rollouts), opt));

  // C-IP ragged: 100k rows of 2..40 candidates
  const rows = 100000, offsets = [0];
  for (let i = 0; i < rows; i++) offsets.push(offsets[i] + 2 + Math.floor(next() * 39));
  const cx = Float32Array.from({ length: offsets[rows] }, () => 4 * (next() - 0.5));
  const cand = Int32Array.from(offsets);
  row(`predictionSetSizes, ${rows} ragged rows of 2-40 candidates`,
    time('ig sets ragged', () => ig.predictionSetSizesSync({ candidateLogits: cx, candidates: cand }, { qhat: 0.9 }), opt),
    time('js sets ragged', () => jsRaggedSets(cx, cand, 0.9), opt));

  // C-IP dense: [256, 151936], next to tokenLogprobs + entropy on the same matrix
  const [dr, vocab] = [Number(process.env.BENCH_ROWS ?? 256), 151936];
  const wide = new Float32Array(dr * vocab);
  for (let i = 0; i < wide.length; i++) wide[i] = 4 * Math.sin(i * 0.618) + (i % 13) * 0.1;
  const targets = Int32Array.from({ length: dr }, (_, i) => (i * 7919) % vocab);
  for (const dtype of ['float32', 'bfloat16']) {
    const data = dtype === 'float32' ? wide : ig.toBFloat16(wide);
    const logits = { data, rows: dr, vocab, dtype };
    const floor = readFloor(data);
    const sets = time(`ig sets ${dtype}`, () => ig.predictionSetSizesSync({ logits }, { qhat: 0.99 }), opt);
    const lp = time(`ig logprobs ${dtype}`, () => ig.tokenLogprobsSync(logits, targets, { entropy: true, backend: 'cpu' }), opt);
    const js = dtype === 'float32' ? time('js sets dense', () => jsDenseSets(wide, dr, vocab, 0.99), { maxTime: 2, minSamples: 2 }) : null;
    out.push({
      case: `predictionSetSizes, [${dr}, ${vocab}] ${dtype} logits`,
      'infogain ms': fmt.ms(sets.median),
      'plain JS ms': js ? fmt.ms(js.median) : 'n/a',
      'vs JS': js ? fmt.x(js.median / sets.median) : 'n/a',
      note: `tokenLogprobs+entropy ${fmt.ms(lp.median)} ms (${fmt.x(sets.median / lp.median)} of it); ` +
        `${fmt.pct(data.byteLength / sets.median / floor)} of the read floor (${fmt.g(floor)} GB/s)`,
    });
  }

  // conformalQuantile, 1M scores
  const scores = Float64Array.from({ length: 1 << 20 }, () => next());
  row('conformalQuantile, 1M scores (JS: sort and pick)', time('ig quantile', () => ig.conformalQuantileSync(scores, 0.1), opt), time('js quantile', () => jsQuantile(scores, 0.1), opt));

  // PEAR: 1024 responses of 4096 tokens, a 2-token delimiter around the middle
  const [n, len] = [1024, 4096];
  const tokens = Int32Array.from({ length: n * len }, () => Math.floor(next() * 1000));
  for (let r = 0; r < n; r++) tokens.set([1000, 1001], r * len + 1000 + Math.floor(next() * 2000));
  const entropies = Float32Array.from({ length: n * len }, () => 2 * next());
  const poff = Int32Array.from({ length: n + 1 }, (_, i) => i * len);
  const correctness = Float32Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
  const delimiter = Int32Array.of(1000, 1001);
  const pear = { entropies, offsets: poff, tokens, delimiter, correctness };
  row(`phaseEntropyRewards, ${n} responses x ${len} tokens, delimiter searched`,
    time('ig pear', () => ig.phaseEntropyRewardsSync(pear, { alpha: 0.1 }), opt),
    time('js pear', () => jsPhaseEntropy(entropies, poff, tokens, delimiter, correctness, 0.1), opt));

  console.log(`\n## uncertainty rewards (Nous, C-IP, PEAR)\n${machine()}\n`);
  console.log(table(out));
}

main();
