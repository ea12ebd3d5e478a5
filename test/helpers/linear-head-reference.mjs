// Float64 logits of the fused head, written from the definition, and random heads in every dtype.
import { fromBFloat16, fromFloat16, toBFloat16, toFloat16 } from '../../dist/index.js';

/** float32 values in `dtype`: { data (what the kernel gets), wide (its exact float32 widening) }. */
export function inDtype(f, dtype) {
  if (dtype === 'float32') return { data: f, wide: f };
  const data = dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f);
  return { data, wide: dtype === 'bfloat16' ? fromBFloat16(data) : fromFloat16(data) };
}

/**
 * A random head: hidden [rows, dim] ~ N(0, 1) (+ offset), weight [vocab, dim] ~ N(0, (scale / sqrt dim)^2),
 * so the logits have standard deviation ~scale. `transposed` stores the weight as [dim, vocab].
 */
export function randomHead(r, { rows, vocab, dim, hiddenType = 'float32', weightType = 'float32', scale = 3, offset = 0, transposed = false }) {
  const h = Float32Array.from({ length: rows * dim }, () => offset + r.normal());
  const wStd = scale / Math.sqrt(dim);
  const w = new Float32Array(vocab * dim);
  for (let j = 0; j < vocab; j++)
    for (let k = 0; k < dim; k++) w[transposed ? k * vocab + j : j * dim + k] = wStd * r.normal();
  const hidden = inDtype(h, hiddenType), weight = inDtype(w, weightType);
  return {
    hidden: { data: hidden.data, rows, dim, dtype: hiddenType },
    weight: { data: weight.data, vocab, dim, dtype: weightType, transposed },
    wh: hidden.wide,
    ww: weight.wide,
  };
}

/**
 * logits[r, j] = softcap(sum_k h[r, k] w[j, k] + bias[j]) in float64 from the widened inputs, and per
 * row the largest sum_k |h[r, k] w[j, k]| (+ |bias[j]|): how large the float32 dot products' rounding
 * can be (the kernel accumulates in float32, as a float32 matmul does).
 */
export function materialize(wh, ww, rows, vocab, dim, { bias, softcap = 0, transposed = false } = {}) {
  const logits = new Float64Array(rows * vocab), magnitude = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let worst = 0;
    for (let j = 0; j < vocab; j++) {
      let z = 0, a = 0;
      for (let k = 0; k < dim; k++) {
        const p = wh[r * dim + k] * ww[transposed ? k * vocab + j : j * dim + k];
        z += p;
        a += Math.abs(p);
      }
      if (bias) {
        z += bias[j];
        a += Number.isFinite(bias[j]) ? Math.abs(bias[j]) : 0;
      }
      if (softcap > 0) z = softcap * Math.tanh(z / softcap);
      logits[r * vocab + j] = z;
      worst = Math.max(worst, a);
    }
    magnitude[r] = worst;
  }
  return { logits, magnitude };
}

/**
 * Extra tolerance of row r for the float32 accumulation of its logits: a logit is a chain of dim
 * float32 FMAs whose rounding errors add like a random walk over the partial sums, ~u * sum |h w|
 * (4x that here; the worst case, dim times that, does not occur on random inputs), and a log-prob
 * or divergence moves by at most twice its logits' error. Softcap adds a few ulp of the cap.
 * Divided by T like the logits. Measured errors stay within the tokenLogprobs part alone.
 */
export function accumulationSlack(magnitude, temperature, softcap = 0) {
  const u = 2 ** -24;
  return Float64Array.from(magnitude, (a) => (2 * (4 * u * a + (softcap > 0 ? 4 * u * softcap : 0))) / temperature);
}
