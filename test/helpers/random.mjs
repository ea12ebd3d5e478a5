// Seeded random inputs. Each run draws a fresh seed (printed on failure) unless INFOGAIN_SEED is set.
import { fromBFloat16, fromFloat16, toBFloat16, toFloat16 } from '../../dist/index.js';

export const runSeed = Number(process.env.INFOGAIN_SEED ?? (Date.now() % 2 ** 31));

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed = runSeed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const int = (n) => Math.floor(next() * n);
  return { next, normal, int };
}

/**
 * A logits matrix in `dtype` plus its exact float32 widening for the reference.
 * scale: standard deviation of the logits; negInf: fraction of entries set to -Infinity
 * (each row keeps at least one finite entry).
 */
export function randomLogits(r, rows, vocab, dtype, { scale = 3, negInf = 0, offset = 0 } = {}) {
  const f = new Float32Array(rows * vocab);
  for (let i = 0; i < f.length; i++) f[i] = offset + scale * r.normal();
  if (negInf > 0) {
    for (let i = 0; i < f.length; i++) if (r.next() < negInf) f[i] = -Infinity;
    for (let row = 0; row < rows; row++) f[row * vocab + r.int(vocab)] = offset + scale * r.normal();
  }
  const data = dtype === 'float32' ? f : dtype === 'bfloat16' ? toBFloat16(f) : toFloat16(f);
  const wide = dtype === 'float32' ? f : widen(data, dtype);
  return { logits: { data, rows, vocab, dtype }, wide };
}

function widen(data, dtype) {
  return dtype === 'bfloat16' ? fromBFloat16(data) : fromFloat16(data);
}

export function randomTargets(r, rows, vocab, wide) {
  const t = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    // prefer a finite target so the log-prob is finite, as in real sampled tokens
    let k = r.int(vocab);
    for (let tries = 0; tries < 8 && wide[i * vocab + k] === -Infinity; tries++) k = r.int(vocab);
    t[i] = k;
  }
  return t;
}
