// The fused head at Qwen2.5-0.5B's shape (dim 896, vocab 151936): linearLogprobs (+ entropy) against
//   - onnxruntime-node MatMul making the logits, then infogain's tokenLogprobs on them (materialize);
//   - onnxruntime-node alone: MatMul, LogSoftmax, GatherElements and the entropy's ReduceSum;
//   - a plain-JS loop (on a few rows; it is per row, so its time scales with the rows);
// and its GFLOP/s against the FMA peak of the same micro-kernel pattern (native fmaPeak), measured in
// the same rounds. The machine may be shared: every round runs each contender once, interleaved,
// and the tables give the median and the range of the per-round ratios. Rates are given per wall
// second and per CPU second (the process's user + system time, which other processes do not inflate
// the way they inflate wall time).
//   BENCH_ROWS (default 256), BENCH_ROUNDS (default 5), BENCH_LINEAR_MEMORY=1: also the peak extra
//   memory of one call at 16384 rows (about a minute on 2 cores).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');
const os = require('os');
const path = require('path');

const ig = require('../dist/index.js');
const { native } = require('../dist/native.js');
const { fmt, machine, table } = require('./lib/harness.js');
const onnx = require('./lib/onnx.js');

const rows = Number(process.env.BENCH_ROWS ?? 256);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dim = 896, vocab = 151936;
const threads = ig.backends().cpu.threads;
const flops = (n) => 2 * n * vocab * dim;

/** Wall and CPU seconds of one call (sync or async). */
async function measure(fn) {
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9, c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

/** What a careful JS user writes: per row, each logit as a dot product, folded into an online softmax. */
function jsLinearLogprobs(h, w, n, targets) {
  const logprobs = new Float32Array(n), entropy = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let m = -Infinity, s = 0, sw = 0, xt = 0;
    for (let j = 0; j < vocab; j++) {
      let x = 0;
      for (let k = 0; k < dim; k++) x += h[r * dim + k] * w[j * dim + k];
      if (j === targets[r]) xt = x;
      if (x > m) {
        const c = Math.exp(m - x);
        sw = c * (sw + s * (m - x));
        s *= c;
        m = x;
      }
      const d = x - m, e = Math.exp(d);
      s += e;
      sw += e * d;
    }
    logprobs[r] = xt - m - Math.log(s);
    entropy[r] = Math.log(s) - sw / s;
  }
  return { logprobs, entropy };
}

// onnxruntime sessions: the logits alone, and the whole computation with the entropy. The weight is
// a constant initializer [dim, vocab] (as exporters store lm_head), kept in an external file, so
// onnxruntime can prepack it once at session creation as it would for a real model.
async function sessions(weightT) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infogain-bench-'));
  fs.writeFileSync(path.join(dir, 'weight.bin'), Buffer.from(weightT.buffer, weightT.byteOffset, weightT.byteLength));
  const weight = onnx.externalInitializer('weight', [dim, vocab], 'weight.bin');
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const create = async (name, spec) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, onnx.model({ ...spec, initializers: [weight, ...(spec.initializers ?? [])] }));
    return ort.InferenceSession.create(file, opts);
  };
  const matmul = await create('matmul.onnx', {
    inputs: [['hidden', 'float32', ['n', dim]]],
    outputs: [['logits', 'float32', ['n', vocab]]],
    nodes: [onnx.node('MatMul', ['hidden', 'weight'], ['logits'])],
  });
  const full = await create('full.onnx', {
    inputs: [['hidden', 'float32', ['n', dim]], ['targets', 'int64', ['n', 1]]],
    outputs: [['logprob', 'float32', ['n', 1]], ['entropy', 'float32', ['n', 1]]],
    nodes: [
      onnx.node('MatMul', ['hidden', 'weight'], ['logits']),
      onnx.node('LogSoftmax', ['logits'], ['lsm'], { axis: 1 }),
      onnx.node('GatherElements', ['lsm', 'targets'], ['logprob'], { axis: 1 }),
      onnx.node('Exp', ['lsm'], ['p']),
      onnx.node('Mul', ['p', 'lsm'], ['plogp']),
      onnx.node('ReduceSum', ['plogp', 'axes'], ['negH'], { keepdims: 1 }),
      onnx.node('Neg', ['negH'], ['entropy']),
    ],
    initializers: [onnx.initializer('axes', [1])],
  });
  fs.rmSync(dir, { recursive: true, force: true });  // the sessions hold their own copies
  return { matmul, full };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
const range = (xs) => `${fmt.x(Math.min(...xs))}-${fmt.x(Math.max(...xs))}`;

async function main() {
  if (process.env.BENCH_LINEAR_MEMORY === '1') return peakMemory();
  console.log(`\n## linearLogprobs (+ entropy), [${rows}, dim ${dim}] x [${vocab}, ${dim}]\n${machine()}; ${rounds} interleaved rounds\n`);
  // a head like a trained one: weight ~ N(0, 0.02), hidden with a few large features
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const w32 = Float32Array.from({ length: vocab * dim }, () => 0.035 * rand());
  const wT = new Float32Array(vocab * dim);
  for (let j = 0; j < vocab; j++) for (let k = 0; k < dim; k++) wT[k * vocab + j] = w32[j * dim + k];
  const wBf16 = ig.toBFloat16(w32);
  const h = Float32Array.from({ length: rows * dim }, (_, i) => 2 * rand() + (i % dim < 8 ? 10 * rand() : 0));
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
  const hidden = { data: h, rows, dim };
  const contenders = {
    'infogain fused, float32 weight': () => ig.linearLogprobsSync(hidden, { data: w32, vocab, dim }, targets, { entropy: true }),
    'infogain fused, bfloat16 weight': () => ig.linearLogprobsSync(hidden, { data: wBf16, vocab, dim, dtype: 'bfloat16' }, targets, { entropy: true }),
    'infogain fused, float32 weight [dim, vocab]': () => ig.linearLogprobsSync(hidden, { data: wT, vocab, dim, transposed: true }, targets, { entropy: true }),
  };
  const ortRuns = await sessions(wT);
  const hTensor = new ort.Tensor('float32', h, [rows, dim]);
  const tTensor = new ort.Tensor('int64', BigInt64Array.from(targets, BigInt), [rows, 1]);
  contenders['onnxruntime MatMul + infogain tokenLogprobs'] = async () => {
    const { logits } = await ortRuns.matmul.run({ hidden: hTensor });
    return ig.tokenLogprobsSync(logits, targets, { entropy: true });
  };
  contenders['onnxruntime alone (MatMul, LogSoftmax, Gather, entropy)'] = () => ortRuns.full.run({ hidden: hTensor, targets: tTensor });

  // agreement first: the fused results against the materialized path (float32 weight)
  const fused = contenders['infogain fused, float32 weight']();
  const plain = await contenders['onnxruntime MatMul + infogain tokenLogprobs']();
  let worst = 0;
  for (let r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(fused.logprobs[r] - plain.logprobs[r]), Math.abs(fused.entropy[r] - plain.entropy[r]));
  console.log(`max |fused - materialized| over log-probs and entropies: ${worst.toExponential(2)}`);

  const jsRows = 2;
  const js = await measure(() => jsLinearLogprobs(h, w32, jsRows, targets));
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const peaks = [];
  for (let round = 0; round < rounds; round++) {
    const p = native().fmaPeak(0.3);
    peaks.push({ wall: p.flops / p.wallSeconds, cpu: p.flops / p.cpuSeconds });
    for (const name of names) times[name].push(await measure(contenders[name]));
  }
  const peakWall = median(peaks.map((p) => p.wall)), peakCpu = median(peaks.map((p) => p.cpu));
  const ref = times['infogain fused, float32 weight'];
  const out = names.map((name) => {
    const t = times[name];
    const wall = median(t.map((x) => x.wall)), cpu = median(t.map((x) => x.cpu));
    const ratios = t.map((x, i) => x.wall / ref[i].wall);
    return {
      contender: name,
      'wall ms': fmt.ms(wall),
      'GFLOP/s wall': (flops(rows) / wall / 1e9).toFixed(1),
      'GFLOP per CPU-s': (flops(rows) / cpu / 1e9).toFixed(1),
      'of FMA peak (CPU-s)': fmt.pct(flops(rows) / cpu / peakCpu),
      'time / fused f32 (median, range)': `${fmt.x(median(ratios))} (${range(ratios)})`,
    };
  });
  const jsPerRow = js.wall / jsRows;
  out.push({
    contender: `plain JS loop (${jsRows} rows, scaled per row)`,
    'wall ms': fmt.ms(jsPerRow * rows),
    'GFLOP/s wall': (flops(1) / jsPerRow / 1e9).toFixed(2),
    'GFLOP per CPU-s': (flops(jsRows) / js.cpu / 1e9).toFixed(2),
    'of FMA peak (CPU-s)': fmt.pct(flops(jsRows) / js.cpu / peakCpu),
    'time / fused f32 (median, range)': fmt.x((jsPerRow * rows) / median(ref.map((x) => x.wall))),
  });
  console.log(table(out));
  console.log(`\nFMA peak of the micro-kernel's pattern (fmaPeak, ${threads} threads): ${(peakWall / 1e9).toFixed(1)} GFLOP/s wall, ` +
    `${(peakCpu / 1e9).toFixed(1)} GFLOP per CPU-second (median of ${rounds}; range ${(Math.min(...peaks.map((p) => p.cpu)) / 1e9).toFixed(0)}-` +
    `${(Math.max(...peaks.map((p) => p.cpu)) / 1e9).toFixed(0)}).`);
  console.log('Targets: >= 70% of the FMA peak on the matmul part; faster than onnxruntime-node computing the logits plus tokenLogprobs.');
}

// The peak extra memory of one call at 16384 rows, in a process of its own: the high-water RSS right
// after the inputs are made (so it equals the RSS then) and after the call. The float32 weight is
// made after the bfloat16 run, so its allocation lifts the mark before its own call.
async function peakMemory() {
  const n = 16384;
  console.log(`\n## linearLogprobs peak extra memory, [${n}, ${dim}] x [${vocab}, ${dim}]\n${machine()}\n`);
  const h = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i));
  const t = Int32Array.from({ length: n }, (_, i) => (i * 31) % vocab);
  const weights = [['bfloat16', () => ({ data: Uint16Array.from({ length: vocab * dim }, (_, i) => 0x3c00 + (i % 255)), vocab, dim, dtype: 'bfloat16' })],
    ['float32', () => ({ data: Float32Array.from({ length: vocab * dim }, (_, i) => 0.03 * Math.cos(i)), vocab, dim })]];
  for (const [what, make] of weights) {
    const weight = make();
    const before = process.resourceUsage().maxRSS;
    const time = await measure(() => ig.linearLogprobsSync({ data: h, rows: n, dim }, weight, t, { entropy: true }));
    const after = process.resourceUsage().maxRSS;
    console.log(`peak extra memory, [${n}, ${dim}] x ${what} [${vocab}, ${dim}]: ${((after - before) / 1024).toFixed(1)} MiB ` +
      `(high-water RSS ${(before / 1024).toFixed(0)} -> ${(after / 1024).toFixed(0)} MiB; the logits would be ${((n * vocab * 4) / 2 ** 30).toFixed(1)} GiB); ` +
      `${time.wall.toFixed(1)} s wall, ${(flops(n) / time.cpu / 1e9).toFixed(1)} GFLOP per CPU-s`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
