// `infogain score --reward ...`: Nous belief-entropy gain, C-IP prediction sets and PEAR phase
// entropies on the bundled model and examples, checked against references computed here from
// the model's log-probs of whole sequences (no prefix trees), and the bad input of these rewards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ig from '../dist/index.js';
import { assertClose } from './helpers/assert.mjs';
import { refQuantile, refSetSizes, refSoftmax } from './helpers/uncertainty-reference.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'infogain-rewards-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const jsonl = (path) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const examplesPath = join(root, 'examples', 'rollouts.jsonl'), calibrationPath = join(root, 'examples', 'calibration.jsonl');
const examples = jsonl(examplesPath), calibrationExamples = jsonl(calibrationPath);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function run(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function score(name, args) {
  const out = join(dir, `${name}.jsonl`), summary = join(dir, `${name}.json`);
  const r = run(['score', ...args, '--out', out, '--json-summary', summary, '--batch-size', '64']);
  assert.equal(r.code, 0, r.stderr);
  return { records: jsonl(out), summary: JSON.parse(readFileSync(summary, 'utf8')), stdout: r.stdout };
}

/** The text before action s of a rollout (prompt, then every earlier action and observation). */
function contextBefore(r, s) {
  return r.prompt + r.turns.slice(0, s).map((t) => t.action + (t.observation ?? '')).join('');
}

/** Reference candidate logits of a rollout: the summed log-probs of each candidate after context + question, from whole sequences. */
async function referenceRows(scorer, r) {
  const rows = [];  // [step][attribute] -> candidate logits
  for (let s = 0; s < r.turns.length; s++) {
    const step = [];
    for (const [name, candidates] of Object.entries(r.attributes)) {
      const prefix = scorer.encode(contextBefore(r, s) + r.question[name]);
      const seqs = candidates.map((c) => scorer.encode(contextBefore(r, s) + r.question[name] + c));
      const lps = await scorer.spanLogprobs(seqs, seqs.map((q) => Int32Array.of(prefix.length, q.length)));
      step.push({ name, candidates, logits: lps.map((l) => l.reduce((a, b) => a + b, 0)) });
    }
    rows.push(step);
  }
  return rows;
}

describe('infogain score --reward on the bundled model and examples', () => {
  const pearOptions = ['--pear-alpha', '0.5', '--pear-beta', '0.25', '--delimiter', 'BOOK('];
  let all, plain, scorer, reference;
  before(async () => {
    all = score('all', ['--reward', 'infopo,igpo,nous,cip,pear', '--calibration', calibrationPath, ...pearOptions]);
    plain = score('plain', []);
    scorer = await ig.OnnxScorer.create();
    reference = [];
    for (const i of [0, 3, 16]) reference.push({ i, rows: await referenceRows(scorer, examples[i]) });
  });
  after(() => scorer?.dispose());

  test('asking for more rewards changes none of InfoPO and IGPO values (one pass serves all)', () => {
    assert.equal(all.records.length, examples.length);
    all.records.forEach((rec, i) => {
      const p = plain.records[i];
      for (const key of ['infoGain', 'beliefGain']) assertClose(rec.turns.map((t) => t[key] ?? NaN), p.turns.map((t) => t[key] ?? NaN), { atol: 1e-4, what: `${rec.id} ${key}` });
      for (const key of ['tokenRewards', 'infopoAdvantages', 'igpoAdvantages']) assertClose(rec[key].map((v) => v ?? NaN), p[key].map((v) => v ?? NaN), { atol: 1e-4, what: `${rec.id} ${key}` });
    });
    assert.deepEqual(Object.keys(plain.records[0]), ['id', 'group', 'reward', 'tokens', 'turns', 'tokenRewards', 'beliefs', 'infopoAdvantages', 'igpoAdvantages']);
    assert.deepEqual(Object.keys(plain.records[0].turns[0]), ['infoGain', 'beliefGain']);
  });

  test('the summary table has the columns of every reward asked for', () => {
    assert.match(all.stdout, /\| group \| rollouts \| mean reward \| turns with IG \| mean InfoPO IG \| mean IGPO gain \| mean Nous gain \| mean C-IP gain \| mean H_think \| mean H_answer \| mean PEAR reward \|/);
    assert.match(all.stdout, /C-IP thresholds qhat \(calibration rows\) at alpha 0\.1, from 120 rollouts/);
    assert.match(all.stdout, /36 of 36 rollouts scored \(rewards infopo,igpo,nous,cip,pear, mode sampled\)/);
    assert.deepEqual(all.summary.rewards, ['infopo', 'igpo', 'nous', 'cip', 'pear']);
  });

  test('Nous: the entropies are those of softmaxes over the model\'s candidate log-probs, the gains their differences', () => {
    for (const { i, rows } of reference) {
      const nous = all.records[i].nous;
      const expected = rows.flatMap((step) => step.map((a) => refSoftmax(a.logits).entropy));
      const got = nous.attributeEntropies.flatMap((step) => rows[0].map((a) => step[a.name]));
      assertClose(got, expected, { atol: 2e-3, what: `${examples[i].id} attribute entropies` });
    }
    for (const rec of all.records) {
      const { entropies, attributeEntropies } = rec.nous;
      assert.equal(entropies.length, rec.turns.length);
      assertClose(entropies, attributeEntropies.map((a) => Object.values(a).reduce((x, y) => x + y, 0)), { atol: 1e-4, what: `${rec.id} H(S)` });
      assertClose(rec.turns.map((t) => t.beliefEntropyGain ?? NaN), [...entropies.slice(1).map((h, s) => entropies[s] - h), NaN], { atol: 1e-4, what: `${rec.id} gains` });
      assert.ok(Math.abs(rec.nous.return - (entropies[0] - entropies.at(-1))) < 1e-4);
    }
  });

  test('Nous: an informative answer resolves the slot asked about; uninformative ones gain far less', () => {
    const informative = [], uninformative = [];
    all.records.forEach((rec, i) => {
      const { informative: labels, asked } = examples[i].meta;
      labels.forEach((inf, k) => {
        (inf ? informative : uninformative).push(rec.turns[k].beliefEntropyGain);
        // measured: below 0.006 nats on every one of the 54 informative turns (from up to ln 12)
        if (inf) assert.ok(rec.nous.attributeEntropies[k + 1][asked[k]] < 0.05, `${rec.id} turn ${k}: ${asked[k]} still uncertain`);
      });
    });
    assert.ok(informative.length >= 40 && uninformative.length >= 10, `${informative.length} / ${uninformative.length} turns`);
    // measured: 1.44 vs 0.35 nats
    assert.ok(mean(informative) > mean(uninformative) + 0.7, `mean gain: informative ${mean(informative)}, uninformative ${mean(uninformative)}`);
  });

  test('C-IP: set sizes are the candidates with 1 - p <= the calibrated qhat of their attribute and step', () => {
    const qhat = all.summary.calibration.attributes;
    for (const { i, rows } of reference) {
      const cip = all.records[i].cip;
      rows.forEach((step, s) =>
        step.forEach((a) => {
          const q = qhat[a.name].qhat[s] ?? Infinity;
          const [{ lo, hi }] = refSetSizes([refSoftmax(a.logits).p.map((p) => 1 - p)], q, 1e-4);
          const size = cip.setSizes[s][a.name];
          assert.ok(size >= lo && size <= hi, `${examples[i].id} step ${s} ${a.name}: ${size} not in [${lo}, ${hi}]`);
        }),
      );
    }
    for (const rec of all.records) {
      const { uncertainty, setSizes } = rec.cip;
      assertClose(uncertainty, setSizes.map((a) => mean(Object.values(a))), { atol: 1e-5, what: `${rec.id} uncertainty` });
      assertClose(rec.turns.map((t) => t.setSizeGain ?? NaN), [...uncertainty.slice(1).map((u, s) => uncertainty[s] - u), NaN], { atol: 1e-5, what: `${rec.id} gains` });
    }
  });

  test('C-IP: the held-out sets cover the truth at about 1 - alpha, and always after the slot was revealed', () => {
    const covered = all.records.flatMap((rec) => rec.cip.covered.flatMap((step) => Object.values(step)));
    // measured: 293 of 309 rows (0.95) at alpha 0.1
    assert.ok(covered.length > 250 && mean(covered.map(Number)) >= 0.85, `coverage ${mean(covered.map(Number))} of ${covered.length}`);
    all.records.forEach((rec, i) => {
      const { informative, asked } = examples[i].meta;
      informative.forEach((inf, k) => inf && assert.ok(rec.cip.covered[k + 1][asked[k]], `${rec.id}: ${asked[k]} not covered after it was revealed`));
    });
    const { city } = all.summary.calibration.attributes;
    // rows per step: the calibration rollouts with at least s + 1 turns
    assert.deepEqual(city.rows, [0, 1, 2, 3].map((s) => calibrationExamples.filter((r) => r.turns.length > s).length));
  });

  test('PEAR: phase means of the model\'s token entropies over the actions, split at each action\'s delimiter', async () => {
    for (const i of [0, 3, 16]) {
      const r = examples[i], rec = all.records[i];
      const ids = scorer.encode(contextBefore(r, r.turns.length));
      const delimiter = Array.from(scorer.encode('BOOK('));
      const spans = [], think = [], answer = [];
      let at = scorer.encode(r.prompt).length;
      for (const t of r.turns) {
        const n = scorer.encode(t.action).length;
        spans.push([Math.max(1, at), at + n]);
        at += n + scorer.encode(t.observation ?? '').length;
      }
      const flat = Int32Array.from(spans.flatMap(([a, b]) => [a, b]));
      const logits = await scorer.positionLogits([ids], [flat]);
      const { entropy } = ig.tokenLogprobsSync(logits, Int32Array.from(spans.flatMap(([a, b]) => Array.from(ids.subarray(a, b)))), { entropy: true });
      let k = 0;
      for (const [a, b] of spans) {
        const action = Array.from(ids.subarray(a, b)), h = Array.from(entropy.subarray(k, k + b - a));
        k += b - a;
        const d = action.findIndex((_, j) => delimiter.every((x, m) => action[j + m] === x));
        think.push(...(d < 0 ? h : h.slice(0, d)));
        if (d >= 0) answer.push(...h.slice(d + delimiter.length));
      }
      const p = rec.pear;
      assert.equal(p.thinkTokens, think.length);
      assert.equal(p.answerTokens, answer.length);
      assertClose([p.thinkEntropy, p.answerEntropy], [mean(think), mean(answer)], { atol: 1e-4, what: `${r.id} phases` });
      assertClose([p.reward], [r.reward - 0.5 * mean(think) - 0.25 * mean(answer)], { atol: 1e-4, what: `${r.id} reward` });
    }
  });

  test('PEAR: the booking (answer) is far more certain than the dialogue before it (thinking), as the paper finds', () => {
    assert.ok(all.records.every((r) => r.pear.answerTokens > 0), 'every rollout books');
    // where the agent asked something (a rollout that books at once thinks only '\nA: ')
    const pear = all.records.filter((r) => r.turns.length > 1).map((r) => r.pear);
    // measured: 0.09 vs 0.0013 nats, thinking above answering in every one of the 32
    assert.ok(pear.length >= 25 && pear.every((p) => p.thinkEntropy > p.answerEntropy));
    assert.ok(mean(pear.map((p) => p.thinkEntropy)) > 10 * mean(pear.map((p) => p.answerEntropy)));
  });
});

describe('C-IP calibration through the CLI', () => {
  test('qhat is the conformal quantile of 1 - p(truth) per attribute and step, from the model', async () => {
    const calibration = join(dir, 'small-calibration.jsonl'), input = join(dir, 'one-group.jsonl');
    writeFileSync(calibration, calibrationExamples.slice(0, 14).map((r) => JSON.stringify(r)).join('\n'));
    writeFileSync(input, examples.filter((r) => r.turns.length <= 2).slice(0, 6).map((r) => JSON.stringify(r)).join('\n'));
    const { summary, records } = score('small', [input, '--reward', 'cip', '--calibration', calibration, '--alpha', '0.2']);
    assert.deepEqual(Object.keys(records[0]), ['id', 'group', 'reward', 'tokens', 'turns', 'cip']);
    assert.deepEqual(Object.keys(records[0].turns[0]), ['setSizeGain']);
    const scorer = await ig.OnnxScorer.create();
    try {
      const scores = {};  // name -> step -> [1 - p(truth)]
      for (const r of calibrationExamples.slice(0, 14))
        (await referenceRows(scorer, r)).forEach((step, s) =>
          step.forEach((a) => {
            const truth = a.candidates.indexOf(r.truth[a.name]);
            ((scores[a.name] ??= [])[s] ??= []).push(1 - refSoftmax(a.logits).p[truth]);
          }),
        );
      let finite = 0;
      for (const [name, steps] of Object.entries(scores)) {
        const got = summary.calibration.attributes[name];
        assert.deepEqual(got.rows, steps.map((s) => s.length));
        steps.forEach((s, k) => {
          const q = refQuantile(s, 0.2);
          if (q === Infinity) return assert.equal(got.qhat[k], null, `${name} step ${k}`);
          finite++;
          assert.ok(Math.abs(got.qhat[k] - q) < 1e-4, `${name} step ${k}: qhat ${got.qhat[k]}, reference ${q}`);
        });
      }
      assert.ok(finite >= 6, `${finite} finite thresholds`);
    } finally {
      await scorer.dispose();
    }
  });
});

test('Ctrl-C during the calibration: exit 130, nothing scored or written', async () => {
  const out = join(dir, 'interrupted.jsonl');
  const { spawn } = await import('node:child_process');
  // ten copies of the calibration set: long enough (minutes here, many seconds on a fast machine) that the
  // signal sent after 2 s always lands while it is being scored
  const longCalibration = join(dir, 'long-calibration.jsonl');
  writeFileSync(longCalibration, Array.from({ length: 10 }, (_, c) => calibrationExamples.map((e) => JSON.stringify({ ...e, id: `${e.id}-${c}` }))).flat().join('\n'));
  const child = spawn(process.execPath, [cli, 'score', '--reward', 'cip', '--calibration', longCalibration, '--out', out], { cwd: dir });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  child.stdout.on('data', (d) => (output += d));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, output);
  assert.match(output, /0 of 36 rollouts scored \(rewards cip\); .*interrupted\.jsonl was not written/);
  assert.throws(() => readFileSync(out));
});

describe('bad input to the rewards (exit 2, nothing scored)', () => {
  const write = (name, rollouts) => {
    const path = join(dir, name);
    writeFileSync(path, rollouts.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n'));
    return path;
  };
  const bare = examples.map(({ attributes, question, truth, ...rest }) => rest);

  test('flags: unknown or repeated rewards, a missing required flag, a flag of a reward not asked for', () => {
    const cases = [
      [['--reward', 'nous,foo'], /--reward: 'foo' is not one of infopo, igpo, nous, cip, pear/],
      [['--reward', 'nous,nous'], /--reward names 'nous' twice/],
      [['--reward', 'cip'], /--reward cip needs --calibration FILE/],
      [['--reward', 'pear'], /--reward pear needs --pear-alpha/],
      [['--reward', 'cip', '--calibration', calibrationPath, '--alpha', '1'], /--alpha must be a number in \(0, 1\), got '1'/],
      [['--alpha', '0.1'], /--alpha belongs to --reward cip, which is not asked for/],
      [['--reward', 'nous', '--delimiter', 'x'], /--delimiter belongs to --reward pear/],
      [['--reward', 'pear', '--pear-alpha', '0.1', '--delimiter', ''], /--delimiter must not be empty/],
      [['--reward', 'cip', '--calibration', calibrationPath, '--out', calibrationPath], /is the calibration file; refusing to overwrite it/],
    ];
    for (const [args, message] of cases) {
      const r = run(['score', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('attribute fields: every bad line with its number and reason', () => {
    const e = examples[0];
    const path = write('bad-attributes.jsonl', [
      e,
      { ...e, truth: { city: 'atlantis' } },
      { ...e, question: undefined },
      { ...e, attributes: { city: ['rome', 'rome'] }, question: 'x', truth: undefined },
      { ...bare[0], truth: { city: 'rome' } },
      { ...e, question: { city: 'x' } },
      { ...e, attributes: { city: ['rome'] }, truth: undefined },
      { ...e, truth: { city: 12 } },
    ]);
    const r = run(['score', path, '--reward', 'nous']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /7 bad rollout lines/);
    assert.match(r.stderr, /line 2: "truth.city" is none of "attributes.city"/);
    assert.match(r.stderr, /line 3: "attributes" need a "question"/);
    assert.match(r.stderr, /line 4: "attributes.city"\[1\] repeats "attributes.city"\[0\]/);
    assert.match(r.stderr, /line 5: "truth" needs "attributes"/);
    assert.match(r.stderr, /line 6: "question" has no entry for attribute "date"/);
    assert.match(r.stderr, /line 7: "attributes.city" must be an array of at least two candidate values/);
    assert.match(r.stderr, /line 8: "truth.city" = 12 is not an index into its 12 candidates/);
  });

  test('what fails only with the model: no attributes, ids outside the vocabulary, a question past the context', () => {
    const e = examples[0];
    const path = write('bad-model.jsonl', [
      e,
      bare[1],
      { ...e, attributes: { ...e.attributes, city: ['rome', [300]] }, truth: undefined },
      { ...e, question: { ...e.question, date: 'x'.repeat(250) } },
    ]);
    const r = run(['score', path, '--reward', 'nous,pear', '--pear-alpha', '0.1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /3 bad rollout lines/);
    assert.match(r.stderr, /line 2 \(id "g0-r1"\): the reward nous needs "attributes" and a "question"/);
    assert.match(r.stderr, /line 3 \(id "g0-r0"\): "attributes.city\[1\]"\[0\] = 300 is outside the model's vocabulary \[0, 256\)/);
    assert.match(r.stderr, /line 4 \(id "g0-r0"\): the longest attribute sequence of its last step \(context \+ question \+ candidate\) is \d+ tokens long; the model reads at most 256/);
  });

  test('calibration: a rollout without every truth, and rollouts the calibration does not cover', () => {
    const e = examples[0];
    const calibration = write('bad-calibration.jsonl', [calibrationExamples[0], { ...calibrationExamples[1], truth: { city: 'rome' } }, bare[2]]);
    let r = run(['score', '--reward', 'cip', '--calibration', calibration]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`bad-calibration.jsonl: line 2 \\(id "g0-r1"\\): a calibration rollout needs the "truth" of every attribute; "date" has none`));
    assert.match(r.stderr, /line 3 \(id "g0-r2"\): a calibration rollout needs "attributes", "question" and "truth"/);

    const short = write('short-calibration.jsonl', calibrationExamples.filter((c) => c.turns.length <= 2));
    const two = examples[3];  // two turns: steps 0 and 1, which the short calibration covers
    assert.equal(two.turns.length, 2);
    const input = write('uncovered.jsonl', [
      e,
      { ...two, attributes: { ...two.attributes, seat: ['aisle', 'window'] }, question: { ...two.question, seat: 'seat=' }, truth: undefined },
      { ...two, attributes: { ...two.attributes, class: ['economy', 'business'] }, truth: undefined },
      two,
    ]);
    r = run(['score', input, '--reward', 'cip', '--calibration', short]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /line 1 \(id "g0-r0"\): attribute "city" has no calibration rows at step 2 \(the start of turn 2\); calibrate with rollouts at least as long/);
    assert.match(r.stderr, /line 2 \(id "g0-r3"\): attribute "seat" is not in the calibration rollouts/);
    assert.match(r.stderr, /line 3 \(id "g0-r3"\): attribute "class" has 2 candidates; in the calibration rollouts it has 3/);
    assert.match(r.stderr, /3 bad rollout lines/);
  });
});

describe('the library', () => {
  const source = (fullDistributions = true) => ({ tokenizer: ig.byteTokenizer(), vocab: 256, maxLength: 256, fullDistributions, stats: {}, score: async () => [], dispose: async () => {} });
  const tokenized = (r = examples[0]) => ig.tokenizeRollout(ig.parseRollout(JSON.stringify(r), 1), ig.byteTokenizer());
  const o = (extra) => ({ ...ig.defaultScoreOptions, ...extra });

  test('rolloutTree: one branch per step and candidate for nous / cip, entropy asked for pear', () => {
    const t = tokenized(), steps = examples[0].turns.length, candidates = 12 + 8 + 3;
    const ph = ig.byteTokenizer().encode('x'), bp = ig.byteTokenizer().encode('\nA: ');
    const nous = ig.rolloutTree(t, ph, bp, 'sampled', ['nous']);
    assert.equal(nous.tree.branches.length, steps * candidates);
    assert.equal(nous.entropy, undefined);
    const b = nous.tree.branches[candidates + 5];  // step 1, city candidate 5 (rome)
    assert.equal(b.at, t.turnSpans[4]);
    assert.equal(Buffer.from(b.ids).toString(), '\nA: BOOK(city=rome');
    assert.deepEqual(nous.logprobs[candidates + 5], { sequence: candidates + 5, start: b.at + '\nA: BOOK(city='.length, end: b.at + b.ids.length });
    const pear = ig.rolloutTree(t, ph, bp, 'sampled', ['pear']);
    assert.equal(pear.entropy, true);
    assert.equal(pear.tree.branches.length, 0);
    assert.deepEqual(pear.logprobs.map((s) => [s.start, s.end]), Array.from({ length: steps }, (_, k) => [t.turnSpans[4 * k], t.turnSpans[4 * k + 1]]));
    assert.deepEqual(ig.rolloutTree(t, ph, bp, 'sampled'), ig.rolloutTree(t, ph, bp, 'sampled', ['infopo', 'igpo']));
  });

  test('tokenizeRollout: a question template, token-id candidates, a truth by index or by value', () => {
    const base = { group: 1, turns: [{ action: 'a' }], reward: 0 };
    const tok = ig.byteTokenizer(), text = (ids) => Buffer.from(ids).toString();
    const t = ig.tokenizeRollout(ig.parseRollout(JSON.stringify({ ...base, attributes: { city: ['rome', [111, 115]], size: ['s', 'm', 'l'] }, question: 'the {attribute} is {attribute}: ', truth: { city: [111, 115], size: 2 } }), 1), tok);
    assert.deepEqual(t.attributes.names, ['city', 'size']);
    assert.deepEqual(t.attributes.questions.map(text), ['the city is city: ', 'the size is size: ']);
    assert.deepEqual(t.attributes.candidates.map((list) => list.map(text)), [['rome', 'os'], ['s', 'm', 'l']]);
    assert.deepEqual(Array.from(t.attributes.truth), [1, 2]);
    const ids = ig.tokenizeRollout(ig.parseRollout(JSON.stringify({ ...base, attributes: { c: ['x', 'y'] }, question: [65, 66] }), 1), tok);
    assert.deepEqual(Array.from(ids.attributes.questions[0]), [65, 66]);
    assert.deepEqual(Array.from(ids.attributes.truth), [-1]);
    // a string truth never equals token ids, even of the same text
    assert.throws(() => ig.parseRollout(JSON.stringify({ ...base, attributes: { c: [[120], 'y'] }, question: 'q', truth: { c: 'x' } }), 1), /"truth.c" is none of "attributes.c"/);
    assert.equal(ig.tokenizeRollout(ig.parseRollout(JSON.stringify(base), 1), tok).attributes, undefined);
  });

  test('a source asked for entropies gives those of tokenLogprobs over the same rows', async () => {
    const scorer = await ig.OnnxScorer.create();
    try {
      const ids = scorer.encode('U: book a flight\nA: where to?\nU: oslo');
      const [r] = await scorer.score([{ tree: { ids, branches: [{ at: 5, ids: scorer.encode('a ticket') }] }, logprobs: [{ sequence: -1, start: 1, end: 9 }, { sequence: 0, start: 6, end: 13 }], entropy: true }]);
      const rows = await scorer.positionLogits([ids, Int32Array.of(...ids.subarray(0, 5), ...scorer.encode('a ticket'))], [Int32Array.of(1, 9), Int32Array.of(6, 13)]);
      const targets = Int32Array.of(...ids.subarray(1, 9), ...scorer.encode('a ticket').subarray(1, 8));
      const ref = ig.tokenLogprobsSync(rows, targets, { entropy: true });
      assertClose(r.logprobs, ref.logprobs, { atol: 1e-4, what: 'logprobs' });
      assertClose(r.entropies, ref.entropy, { atol: 1e-4, what: 'entropies' });
      const [plain] = await scorer.score([{ tree: { ids, branches: [] }, logprobs: [{ sequence: -1, start: 1, end: 3 }] }]);
      assert.equal(plain.entropies, undefined);
      await assert.rejects(scorer.score([{ tree: { ids, branches: [] }, logprobs: [], entropy: 'yes' }]), { code: 'ERR_INVALID_ARG_TYPE', argument: 'requests[0].entropy' });
    } finally {
      await scorer.dispose();
    }
  });

  test('scoreTokenized: typed errors for what the rewards asked for need', async () => {
    const t = tokenized(), bare = tokenized({ ...examples[0], attributes: undefined, question: undefined, truth: undefined });
    const cases = [
      [[t], source(), o({ rewards: [] }), TypeError, 'options.rewards'],
      [[t], source(), o({ rewards: ['nous', 'foo'] }), RangeError, 'options.rewards'],
      [[t], source(), o({ rewards: ['nous', 'nous'] }), RangeError, 'options.rewards'],
      [[bare], source(), o({ rewards: ['nous'] }), TypeError, 'tokenized[0]'],
      [[t], source(), o({ rewards: ['cip'] }), TypeError, 'options.conformal'],
      [[t], source(), o({ rewards: ['cip'], conformal: ig.calibrationCoverage([t]).coverage }), TypeError, 'options.conformal'],
      [[t], source(), o({ rewards: ['pear'] }), TypeError, 'options.pear'],
      [[t], source(), o({ rewards: ['pear'], pear: { alpha: 0.1 } }), TypeError, 'options.pear.delimiter'],
      [[t], source(), o({ rewards: ['pear'], pear: { alpha: 0.1, delimiter: '</think>', betta: 1 } }), TypeError, 'betta'],
      [[t], source(false), o({ rewards: ['pear'], pear: { alpha: 0.1, delimiter: '</think>' } }), RangeError, 'rewards'],
    ];
    for (const [tok, src, opts, Class, argument] of cases) {
      const e = await ig.scoreTokenized(tok, src, opts).then(() => undefined, (x) => x);
      assert.ok(e instanceof Class, `${argument}: ${e?.name}: ${e?.message}`);
      assert.equal(e.argument, argument, e.message);
    }
  });

  test('calibrate: one qhat per attribute and step; bad rows are typed errors', () => {
    const rows = [0.1, 0.2, 0.3, 0.4].flatMap((score, i) => [{ attribute: 'a', step: i % 2, candidates: 3, score }]);
    const c = ig.calibrate(rows, 0.5);
    assert.deepEqual(Array.from(c.attributes.get('a').rows), [2, 2]);
    assert.deepEqual(Array.from(c.attributes.get('a').qhat), [refQuantile([0.1, 0.3], 0.5), refQuantile([0.2, 0.4], 0.5)]);
    assert.throws(() => ig.calibrate([{ attribute: 'a', step: -1, candidates: 3, score: 0 }], 0.1), { code: 'ERR_INVALID_ARG_TYPE', argument: 'rows[0]' });
    assert.throws(() => ig.calibrate([rows[0], { ...rows[1], candidates: 4 }], 0.1), { code: 'ERR_INFOGAIN_SHAPE' });
    assert.throws(() => ig.calibrate(rows, 1), { code: 'ERR_OUT_OF_RANGE', argument: 'alpha' });
  });
});
