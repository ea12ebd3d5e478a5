// Float64 references, written from the definitions.

/** log softmax(x / T)[target], logsumexp(x / T) and entropy, per row. */
export function refTokenLogprobs(wide, rows, vocab, targets, temperature = 1) {
  const logprobs = new Float64Array(rows), logsumexp = new Float64Array(rows), entropy = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    let m = -Infinity;
    for (let j = 0; j < vocab; j++) m = Math.max(m, wide[o + j] / temperature);
    let s = 0, w = 0;
    for (let j = 0; j < vocab; j++) {
      const d = wide[o + j] / temperature - m;
      const e = Math.exp(d);
      s += e;
      if (e > 0) w += e * d;
    }
    logsumexp[r] = m + Math.log(s);
    entropy[r] = Math.log(s) - w / s;
    logprobs[r] = wide[o + targets[r]] / temperature - logsumexp[r];
  }
  return { logprobs, logsumexp, entropy };
}
