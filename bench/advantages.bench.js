// The advantages family: groupAdvantages (GRPO) on 1M scores in ragged groups, and
// broadcastToTokens / reinforcePP on a [2048, 2048] padded batch, each against a plain-JS
// implementation of the same definition in the same run.
'use strict';
const ig = require('../dist/index.js');
const { native } = require('../dist/native.js');
const { fmt, machine, random, table, time, verdict } = require('./lib/harness.js');

const samples = Number(process.env.BENCH_SAMPLES ?? 1 << 20);
// token batches [rows, columns]: the big one, and small ones where a call's fixed cost shows
const tokenShapes = [[2048, 2048], [64, 512], [16, 256], [8, 128]];

/** Group ids for n samples in groups of 1..16, shuffled; `spread` maps group g to its id. */
function raggedIds(next, n, spread) {
  const ids = new Int32Array(n);
  for (let i = 0, g = 0; i < n; g++) for (let s = 1 + Math.floor(next() * 16); s > 0 && i < n; s--) ids[i++] = spread(g);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

/** GRPO as a careful JS user writes it: ids mapped to slots (a Map, since ids are arbitrary), two float64 passes. */
function jsGrpo(scores, ids, useMap, eps = 1e-6) {
  const n = scores.length;
  let slotOf = ids, groups = 0;
  if (useMap) {
    slotOf = new Int32Array(n);
    const slot = new Map();
    for (let i = 0; i < n; i++) {
      let s = slot.get(ids[i]);
      if (s === undefined) slot.set(ids[i], (s = slot.size));
      slotOf[i] = s;
    }
    groups = slot.size;
  } else {
    for (let i = 0; i < n; i++) if (ids[i] >= groups) groups = ids[i] + 1;
  }
  const count = new Float64Array(groups), mean = new Float64Array(groups), m2 = new Float64Array(groups);
  for (let i = 0; i < n; i++) (count[slotOf[i]] += 1), (mean[slotOf[i]] += scores[i]);
  for (let g = 0; g < groups; g++) mean[g] /= count[g];
  for (let i = 0; i < n; i++) {
    const d = scores[i] - mean[slotOf[i]];
    m2[slotOf[i]] += d * d;
  }
  const center = new Float64Array(groups), scale = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const lone = count[g] === 1;
    center[g] = lone ? 0 : mean[g];
    scale[g] = 1 / ((lone ? 1 : Math.sqrt(m2[g] / (count[g] - 1))) + eps);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (scores[i] - center[slotOf[i]]) * scale[slotOf[i]];
  return out;
}

function jsBroadcast(perSample, mask, rows, columns) {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const v = perSample[r], base = r * columns;
    for (let t = 0; t < columns; t++) out[base + t] = mask[base + t] ? v : 0;
  }
  return out;
}

/** REINFORCE++: the discounted return over valid tokens, then masked whitening (two float64 passes). */
function jsReinforcePP(rewards, mask, gamma, rows, columns) {
  const n = rows * columns, returns = new Float32Array(n), out = new Float32Array(n);
  for (let r = 0; r < rows; r++) {
    let running = 0;
    for (let t = (r + 1) * columns - 1; t >= r * columns; t--) if (mask[t]) returns[t] = running = rewards[t] + gamma * running;
  }
  let count = 0, sum = 0, m2 = 0;
  for (let t = 0; t < n; t++) if (mask[t]) (count++, (sum += returns[t]));
  const mean = sum / count;
  for (let t = 0; t < n; t++) if (mask[t]) m2 += (returns[t] - mean) ** 2;
  const scale = 1 / Math.sqrt(m2 / (count - 1) + 1e-8);
  for (let t = 0; t < n; t++) out[t] = mask[t] ? (returns[t] - mean) * scale : 0;
  return { advantages: out, returns };
}

function main() {
  console.log(`\n## advantages: ${samples} scores in ragged groups; token batches ${tokenShapes.map(([r, c]) => `[${r}, ${c}]`).join(', ')}\n${machine()}\n`);
  const next = random(7);
  const scores = Float32Array.from({ length: samples }, () => (next() < 0.5 ? 1 : 0) + 0.1 * next());
  const dense = raggedIds(next, samples, (g) => g);
  const sparse = raggedIds(next, samples, (g) => (g * 2654435761 + 1e8) % 2 ** 31);
  const out = [];
  const row = (what, native, js, target) =>
    out.push({ case: what, 'infogain ms': fmt.ms(native.median), 'plain JS ms': fmt.ms(js.median), 'vs JS': fmt.x(js.median / native.median), target });
  const opt = { maxTime: 3, minSamples: 10 };
  row(
    'groupAdvantages grpo, ids 0..G-1 (JS: ids as indices)',
    time('ig dense', () => ig.groupAdvantagesSync(scores, { groups: dense }), opt),
    time('js dense', () => jsGrpo(scores, dense, false), opt),
    '< 5 ms',
  );
  row(
    'groupAdvantages grpo, sparse 31-bit ids (JS: a Map)',
    time('ig sparse', () => ig.groupAdvantagesSync(scores, { groups: sparse }), opt),
    time('js sparse', () => jsGrpo(scores, sparse, true), opt),
    '',
  );
  for (const [rows, columns] of tokenShapes) {
    const mask = new Uint8Array(rows * columns);
    for (let r = 0; r < rows; r++) mask.fill(1, r * columns, r * columns + 1 + Math.floor(next() * columns));
    const perSample = Float32Array.from({ length: rows }, () => next() - 0.5);
    const rewards = Float32Array.from({ length: rows * columns }, () => (next() < 0.01 ? 1 : 0));
    const layout = { columns, mask };
    row(
      `broadcastToTokens, masked, [${rows}, ${columns}]`,
      time(`ig broadcast ${rows}`, () => ig.broadcastToTokensSync(perSample, layout), opt),
      time(`js broadcast ${rows}`, () => jsBroadcast(perSample, mask, rows, columns), opt),
      '>= 1x JS',
    );
    row(
      `reinforcePP gamma 0.99, masked, [${rows}, ${columns}]`,
      time(`ig reinforce ${rows}`, () => ig.reinforcePPSync(rewards, layout, { gamma: 0.99 }), opt),
      time(`js reinforce ${rows}`, () => jsReinforcePP(rewards, mask, 0.99, rows, columns), opt),
      '>= 1x JS',
    );
  }
  console.log(table(out));

  // the public API against the C++ core alone (a bench hook timed inside C++), round-robin
  const api = [], core = [], into = new Float32Array(samples);
  for (let i = 0; i < 41; i++) {
    const t = process.hrtime.bigint();
    ig.groupAdvantagesSync(scores, { groups: dense });
    api.push(Number(process.hrtime.bigint() - t) / 1e9);
    core.push(native().coreGroupAdvantages(scores, dense, into));
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const apiMs = median(api), coreMs = median(core);
  console.log(`\ngroupAdvantages grpo, dense ids, 41 rounds interleaved: public API ${fmt.ms(apiMs)} ms median, C++ core alone ${fmt.ms(coreMs)} ms (${fmt.x(apiMs / coreMs)}).`);
  // most bindings hand back fresh NaN-poisoned outputs: on memory-bound kernels that is a pass of its own
  const poison = time('poison', () => new Float32Array(2048 * 2048).fill(NaN), opt);
  console.log(`\nSync calls on ${ig.backends().cpu.threads} threads; medians of benchmark.js samples. Group sizes 1..16 (about ${Math.round(samples / 8.5)} groups), shuffled.`);
  console.log(`Allocating and NaN-poisoning one [2048, 2048] output takes ${fmt.ms(poison.median)} ms here; groupAdvantages, broadcastToTokens and reinforcePP skip the poison (they write every element).`);
  const targets = [
    verdict(`groupAdvantages on ${samples} ragged scores through the public API < 5 ms median`, `${fmt.ms(apiMs)} ms`, apiMs < 5e-3),
    verdict('groupAdvantages through the API <= 1.3x the C++ core alone', fmt.x(apiMs / coreMs), apiMs <= 1.3 * coreMs),
  ];
  for (const r of out) if (r.case !== undefined) targets.push(verdict(`${r.case}: native >= 1x plain JS`, r['vs JS'], parseFloat(r['vs JS']) >= 1));
  console.log(`\nTargets:\n${targets.join('\n')}`);
}

main();
