// tokenLogprobs (+ entropy) on [rows, 151936] float32 and bfloat16: infogain's CPU kernel vs a
// plain-JS loop vs onnxruntime-node running LogSoftmax + GatherElements, next to the read floor.
'use strict';
const ort = require('onnxruntime-node');

const ig = require('../dist/index.js');
const { fmt, interleaved, machine, table, time, timeAsync, verdict } = require('./lib/harness.js');
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
  const out = [], verdicts = [];
  for (const dtype of ['float32', 'bfloat16', 'float16']) {
    const data = dtype === 'float32' ? wide : dtype === 'bfloat16' ? ig.toBFloat16(wide) : ig.toFloat16(wide);
    const logits = { data, rows, vocab, dtype };
    // the kernel and every read strategy of the floor, round-robin in this process
    const r = interleaved(data, { infogain: () => ig.tokenLogprobsSync(logits, targets, { entropy: true, backend: 'cpu' }) });
    const native = r.kernels.infogain, floor = r.floor;
    // plain JS has no cheap float16 widening; the float32 and bfloat16 rows show its speed
    const js = dtype === 'float16' ? null : time(`plain JS ${dtype}`, () => jsTokenLogprobs(data, dtype, targets), { maxTime: 4, minSamples: 3 });
    // onnxruntime-node takes no bfloat16 from JS: it gets the float32 widening, made beforehand
    const feeds = { logits: new ort.Tensor('float32', dtype === 'float32' ? data : ig.toFloat32(data, dtype), [rows, vocab]), targets: new ort.Tensor('int64', BigInt64Array.from(targets, BigInt), [rows, 1]) };
    const orts = await timeAsync(`onnxruntime ${dtype}`, () => session.run(feeds));
    const ofFloor = data.byteLength / native.best / floor;
    out.push({
      dtype,
      'infogain ms (median)': fmt.ms(native.median),
      'G elem/s': fmt.g((rows * vocab) / native.median),
      'GB/s (best)': fmt.g(data.byteLength / native.best),
      'read floor GB/s': fmt.g(floor),
      'of floor': fmt.pct(ofFloor),
      'plain JS ms': js ? fmt.ms(js.median) : '-',
      'vs JS': js ? fmt.x(js.median / native.median) : '-',
      'onnxruntime ms': fmt.ms(orts.median),
      'vs onnxruntime': fmt.x(orts.median / native.median),
    });
    verdicts.push(verdict(`tokenLogprobs + entropy ${dtype} [${rows}, ${vocab}] >= 80% of the read floor`, `${fmt.pct(ofFloor)} of ${fmt.g(floor)} GB/s (${r.floorStrategy})`, ofFloor >= 0.8));
  }
  console.log(table(out));
  console.log('\nThe floor: the fastest of every read strategy this CPU runs (bench/lib/harness.js interleaved), timed round-robin with the kernel; "of floor" uses both best times. onnxruntime computes the log-prob only (no entropy) and, for 16-bit inputs, reads the float32 widening (twice the bytes).');
  console.log(`\nTargets:\n${verdicts.join('\n')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
