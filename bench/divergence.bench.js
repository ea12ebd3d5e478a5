// klDivergence (forward KL) on two [rows, 151936] matrices, float32 and bfloat16: infogain's CPU
// kernel vs a plain-JS loop vs onnxruntime-node running LogSoftmax twice + the KL sum, next to the
// read floor. Jensen-Shannon (two reads) is timed too, for reference.
'use strict';
const ort = require('onnxruntime-node');

const ig = require('../dist/index.js');
const { fmt, interleaved, machine, table, time, timeAsync, verdict } = require('./lib/harness.js');
const onnx = require('./lib/onnx.js');

const rows = Number(process.env.BENCH_ROWS ?? 256);
const vocab = 151936;
const threads = ig.backends().cpu.threads;

/** What a careful JS user writes: per row, the two maxima, then one pass for both sums and the cross term. */
function jsKL(p, q, dtype) {
  const u32 = new Uint32Array(1), f32 = new Float32Array(u32.buffer);
  const at = dtype === 'float32' ? (a, i) => a[i] : (a, i) => ((u32[0] = a[i] << 16), f32[0]);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    let mp = -Infinity, mq = -Infinity;
    for (let j = 0; j < vocab; j++) {
      mp = Math.max(mp, at(p, o + j));
      mq = Math.max(mq, at(q, o + j));
    }
    let sp = 0, sq = 0, cross = 0;
    for (let j = 0; j < vocab; j++) {
      const x = at(p, o + j), y = at(q, o + j), e = Math.exp(x - mp);
      sp += e;
      sq += Math.exp(y - mq);
      cross += e * (x - y);
    }
    out[r] = cross / sp - (mp + Math.log(sp)) + (mq + Math.log(sq));
  }
  return out;
}

async function ortSession() {
  const bytes = onnx.model({
    inputs: [['p', 'float32', ['n', vocab]], ['q', 'float32', ['n', vocab]]],
    outputs: [['kl', 'float32', ['n']]],
    initializers: [onnx.initializer('axes', [1])],
    nodes: [
      onnx.node('LogSoftmax', ['p'], ['lp'], { axis: 1 }),
      onnx.node('LogSoftmax', ['q'], ['lq'], { axis: 1 }),
      onnx.node('Sub', ['lp', 'lq'], ['d']),
      onnx.node('Exp', ['lp'], ['P']),
      onnx.node('Mul', ['P', 'd'], ['terms']),
      onnx.node('ReduceSum', ['terms', 'axes'], ['kl'], { keepdims: 0 }),
    ],
  });
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function main() {
  console.log(`\n## klDivergence (forward KL), two [${rows}, ${vocab}] matrices\n${machine()}\n`);
  const session = await ortSession();
  const wideP = new Float32Array(rows * vocab), wideQ = new Float32Array(rows * vocab);
  for (let i = 0; i < wideP.length; i++) {
    wideP[i] = 4 * Math.sin(i * 0.618) + (i % 13) * 0.1;
    wideQ[i] = wideP[i] + Math.cos(i * 1.37);
  }
  const out = [], verdicts = [];
  for (const dtype of ['float32', 'bfloat16', 'float16']) {
    const narrow = (w) => (dtype === 'float32' ? w : dtype === 'bfloat16' ? ig.toBFloat16(w) : ig.toFloat16(w));
    const p = narrow(wideP), q = narrow(wideQ);
    const P = { data: p, rows, vocab, dtype }, Q = { data: q, rows, vocab, dtype };
    const bytes = p.byteLength + q.byteLength;
    // both matrices in one buffer for the floor, so it reads as many bytes as the kernel
    const both = new Uint8Array(bytes);
    both.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), 0);
    both.set(new Uint8Array(q.buffer, q.byteOffset, q.byteLength), p.byteLength);
    const r = interleaved(both, { kl: () => ig.klDivergenceSync(P, Q, { backend: 'cpu' }) });
    const native = r.kernels.kl, floor = r.floor;
    const js = time(`infogain JS-divergence ${dtype}`, () => ig.klDivergenceSync(P, Q, { direction: 'js', backend: 'cpu' }));
    // plain JS has no cheap float16 widening; the float32 and bfloat16 rows show its speed
    const plain = dtype === 'float16' ? null : time(`plain JS ${dtype}`, () => jsKL(p, q, dtype), { maxTime: 4, minSamples: 3 });
    // onnxruntime-node takes no bfloat16 from JS: it gets the float32 widening, made beforehand
    const feeds = {
      p: new ort.Tensor('float32', dtype === 'float32' ? p : ig.toFloat32(p, dtype), [rows, vocab]),
      q: new ort.Tensor('float32', dtype === 'float32' ? q : ig.toFloat32(q, dtype), [rows, vocab]),
    };
    const orts = await timeAsync(`onnxruntime ${dtype}`, () => session.run(feeds));
    const mine = ig.klDivergenceSync(P, Q).values;
    const theirs = (await session.run(feeds)).kl.data;
    const ofFloor = bytes / native.best / floor;
    out.push({
      dtype,
      'infogain ms (median)': fmt.ms(native.median),
      'GB/s (best)': fmt.g(bytes / native.best),
      'read floor GB/s': fmt.g(floor),
      'of floor': fmt.pct(ofFloor),
      'plain JS ms': plain ? fmt.ms(plain.median) : '-',
      'vs JS': plain ? fmt.x(plain.median / native.median) : '-',
      'onnxruntime ms': fmt.ms(orts.median),
      'vs onnxruntime': fmt.x(orts.median / native.median),
      'JS-div ms': fmt.ms(js.median),
      'max |diff| vs ort, vs JS': `${maxDiff(mine, theirs).toExponential(1)}${plain ? `, ${maxDiff(mine, jsKL(p, q, dtype)).toExponential(1)}` : ''}`,
    });
    verdicts.push(verdict(`klDivergence (forward) ${dtype}, two [${rows}, ${vocab}] >= 80% of the read floor`, `${fmt.pct(ofFloor)} of ${fmt.g(floor)} GB/s (${r.floorStrategy})`, ofFloor >= 0.8));
  }
  console.log(table(out));
  console.log('\nGB/s counts both matrices; the floor reads the same bytes with the fastest of every read strategy, round-robin with the kernel (bench/lib/harness.js interleaved), both best of the rounds.' +
    ' onnxruntime reads the float32 widening for 16-bit inputs (twice the bytes). JS-div is the Jensen-Shannon direction (two reads).');
  console.log(`\nTargets:\n${verdicts.join('\n')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
