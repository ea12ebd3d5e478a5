// tokenLogprobs (+ entropy) on [rows, 151936] float32 and bfloat16: infogain's CPU kernel vs a
// plain-JS loop vs onnxruntime-node running LogSoftmax + GatherElements, next to the read floor.
'use strict';
const ort = require('onnxruntime-node');

const ig = require('../dist/index.js');
const { fmt, machine, readFloor, table, time, timeAsync } = require('./lib/harness.js');
const onnx = require('./lib/onnx.js');

const rows = Number(process.env.BENCH_ROWS ?? 256);
const vocab = 151936;
const threads = ig.backends().cpu.threads;

/** What a careful JS user writes: one online pass per row (max, sum of exp, sum of p*x). */
function jsTokenLogprobs(data, dtype, targets) {
  const u32 = new Uint32Array(1), f32 = new Float32Array(u32.buffer);
  const at = dtype === 'float32' ? (i) => data[i] : (i) => ((u32[0] = data[i] << 16), f32[0]);
  const logprobs = new Float32Array(rows), entropy = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    let m = -Infinity, s = 0, w = 0;
    for (let j = 0; j < vocab; j++) {
      const x = at(o + j);
      if (x > m) {
        const c = Math.exp(m - x);
        w = c * (w + s * (m - x));
        s *= c;
        m = x;
      }
      const d = x - m, e = Math.exp(d);
      s += e;
      w += e * d;
    }
    logprobs[r] = at(o + targets[r]) - m - Math.log(s);
    entropy[r] = Math.log(s) - w / s;
  }
  return { logprobs, entropy };
}

async function ortSession() {
  const bytes = onnx.model({
    inputs: [['logits', 'float32', ['n', vocab]], ['targets', 'int64', ['n', 1]]],
    outputs: [['logprob', 'float32', ['n', 1]]],
    nodes: [onnx.node('LogSoftmax', ['logits'], ['lsm'], { axis: 1 }), onnx.node('GatherElements', ['lsm', 'targets'], ['logprob'], { axis: 1 })],
  });
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

async function main() {
  console.log(`\n## tokenLogprobs, [${rows}, ${vocab}], entropy on\n${machine()}\n`);
  const session = await ortSession();
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
  const wide = new Float32Array(rows * vocab);
  for (let i = 0; i < wide.length; i++) wide[i] = 4 * Math.sin(i * 0.618) + (i % 13) * 0.1;
  const out = [];
  for (const dtype of ['float32', 'bfloat16']) {
    const data = dtype === 'float32' ? wide : ig.toBFloat16(wide);
    const logits = { data, rows, vocab, dtype };
    const floor = readFloor(data);
    const native = time(`infogain ${dtype}`, () => ig.tokenLogprobsSync(logits, targets, { entropy: true, backend: 'cpu' }));
    const js = time(`plain JS ${dtype}`, () => jsTokenLogprobs(data, dtype, targets), { maxTime: 4, minSamples: 3 });
    // onnxruntime-node takes no bfloat16 from JS: it gets the float32 widening, made beforehand
    const feeds = { logits: new ort.Tensor('float32', dtype === 'float32' ? data : ig.toFloat32(data, dtype), [rows, vocab]), targets: new ort.Tensor('int64', BigInt64Array.from(targets, BigInt), [rows, 1]) };
    const orts = await timeAsync(`onnxruntime ${dtype}`, () => session.run(feeds));
    const gbps = data.byteLength / native.median;
    out.push({
      dtype,
      'infogain ms': fmt.ms(native.median),
      'G elem/s': fmt.g((rows * vocab) / native.median),
      'GB/s': fmt.g(gbps),
      'read floor GB/s': fmt.g(floor),
      'of floor': fmt.pct(gbps / floor),
      'plain JS ms': fmt.ms(js.median),
      'vs JS': fmt.x(js.median / native.median),
      'onnxruntime ms': fmt.ms(orts.median),
      'vs onnxruntime': fmt.x(orts.median / native.median),
    });
  }
  console.log(table(out));
  console.log('\nTargets: >= 50x plain JS, >= 3x onnxruntime-node, >= 60% of the read floor. onnxruntime computes the log-prob only (no entropy) and, for bfloat16, reads the float32 widening (twice the bytes).');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
