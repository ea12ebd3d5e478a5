// How far 16-bit log-probs, entropy and KL land from float64 on three kinds of rows, for the build
// in use (INFOGAIN_NATIVE_PATH picks another): what bench/RESULTS.md's exp2 degrees cost in error.
//   node bench/logit-errors.mjs
// Rows [16, 151936]: "model" (a bulk of N(-2, 3) and 20 candidates near 15: one peak, as an LLM's
// head gives), "quantized" (1e4 + N(0, 1): a float16 row holds a handful of distinct values there) and
// "near 20" (20 + N(0, 0.5): bfloat16 steps of 0.125). KL: q = p plus noise of sd 0.02 and 0.3.
import { fromBFloat16, fromFloat16, klDivergenceSync, toBFloat16, toFloat16, tokenLogprobsSync } from '../dist/index.js';
import { refDivergence } from '../test/helpers/divergence-reference.mjs';
import { rng } from '../test/helpers/random.mjs';
import { refTokenLogprobs } from '../test/helpers/reference.mjs';

const r = rng(12345);
const rows = 16, vocab = 151936;
const narrow = (f, dtype) => (dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f));
const widen = (d, dtype) => (dtype === 'bfloat16' ? fromBFloat16(d) : fromFloat16(d));
const kinds = {
  model: () => 3 * r.normal() - 2,
  quantized: () => 1e4 + r.normal(),
  'near 20': () => 20 + 0.5 * r.normal(),
};

function rowsOf(kind, dtype) {
  const f = new Float32Array(rows * vocab);
  for (let i = 0; i < f.length; i++) f[i] = kinds[kind]();
  if (kind === 'model') for (let row = 0; row < rows; row++) for (let k = 0; k < 20; k++) f[row * vocab + r.int(vocab)] = 15 + 5 * r.normal();
  const data = narrow(f, dtype);
  return { logits: { data, rows, vocab, dtype }, wide: widen(data, dtype) };
}

function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m.toExponential(1);
}

console.log('| dtype | rows | T | log-prob | entropy | KL, q = p + N(0, 0.02) | KL, q = p + N(0, 0.3) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const dtype of ['bfloat16', 'float16']) {
  for (const kind of Object.keys(kinds)) {
    const { logits, wide } = rowsOf(kind, dtype);
    const targets = Int32Array.from({ length: rows }, () => r.int(vocab));
    const kl = [0.02, 0.3].map((sd) => {
      const q = narrow(Float32Array.from(wide, (x) => x + sd * r.normal()), dtype);
      const ref = refDivergence(wide, widen(q, dtype), rows, vocab);
      return `${maxAbs(klDivergenceSync(logits, { data: q, rows, vocab, dtype }).values, ref)} (KL ~${ref[0].toExponential(0)})`;
    });
    for (const temperature of [1, 0.7]) {
      const got = tokenLogprobsSync(logits, targets, { entropy: true, temperature });
      const ref = refTokenLogprobs(wide, rows, vocab, targets, temperature);
      const klCells = temperature === 1 ? kl : ['', ''];
      console.log(`| ${dtype} | ${kind} | ${temperature} | ${maxAbs(got.logprobs, ref.logprobs)} | ${maxAbs(got.entropy, ref.entropy)} | ${klCells.join(' | ')} |`);
    }
  }
}
