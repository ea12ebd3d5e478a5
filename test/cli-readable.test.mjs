// What `infogain score` prints, for a person and for a disk (issue 15): computed numbers as the
// shortest text that rounds back to their float32 value, a summary of at most 20 group rows and
// the total, a progress bar that fits the terminal, a UTF-8 byte order mark accepted, an error
// code said once. Every case runs the real CLI in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { shortestFloat32 } from '../dist/score.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'infogain-cli-readable-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const examplesText = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8');
const examples = examplesText.trim().split('\n').map((l) => JSON.parse(l));
const copies = (k) => Array.from({ length: k }, (_, c) => examples.map((e) => JSON.stringify({ ...e, id: `${e.id}-${c}`, group: `${e.group}-${c}` }))).flat().join('\n');

function run(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Significant digits of a number's shortest text: 1.25e-7 and 125000000 have 3. */
const significant = (x) => x.toExponential().replace(/e.*$/, '').replace(/[-.]/g, '').length;

/** Every number in the computed fields of a record (not id, group, reward, tokens: the input's own). */
function computedNumbers(record) {
  const out = [];
  const walk = (x) => (typeof x === 'number' ? out.push(x) : x && typeof x === 'object' && Object.values(x).forEach(walk));
  for (const [k, v] of Object.entries(record)) if (!['id', 'group', 'reward', 'tokens'].includes(k)) walk(v);
  return out;
}

test('shortestFloat32: the fewest digits that round back to the float32, never another float32', () => {
  for (const [v, text] of [[0.1, '0.1'], [1 / 3, '0.33333334'], [0.5, '0.5'], [-2.5e-8, '-2.5e-8'], [123456.789, '123456.79'], [0, '0'], [3, '3']])
    assert.equal(String(shortestFloat32(v)), text);
  const f = new Float32Array(20000).map(() => (Math.random() - 0.5) * 10 ** (Math.random() * 20 - 10));
  for (const v of f) {
    const s = shortestFloat32(v);
    assert.equal(Math.fround(s), v, `${v} -> ${s}`);
    const digits = significant(s);
    assert.ok(digits <= 9, `${s} has ${digits} digits`);
    if (digits > 1) assert.notEqual(Math.fround(Number(Math.fround(v).toPrecision(digits - 1))), v, `${s}: one digit fewer also rounds back`);
  }
  assert.ok(Number.isNaN(shortestFloat32(NaN)) && shortestFloat32(Infinity) === Infinity);
});

test('the records print computed numbers in at most 9 significant digits, each the kernels\' float32', () => {
  const out = join(dir, 'rewards.jsonl');
  const r = run(['score', join(root, 'examples', 'rollouts.jsonl'), '--out', out, '--reward', 'infopo,igpo,nous']);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  const records = text.trim().split('\n').map((l) => JSON.parse(l));
  let count = 0;
  for (const rec of records)
    for (const v of computedNumbers(rec)) {
      count++;
      assert.equal(shortestFloat32(v), v, `${v} is not the shortest text of a float32`);
    }
  assert.ok(count > 5000, `${count} numbers`);
  // the longest number text in the file: 17 digits before, at most 9 significant digits (plus sign, point, exponent) now
  const longest = Math.max(...text.match(/-?\d+\.\d+(e-?\d+)?/g).map((t) => significant(Number(t))));
  assert.ok(longest <= 9, `a number with ${longest} significant digits`);
});

test('the summary shows at most 20 groups, then how many more, then the total over all of them', () => {
  const input = join(dir, 'many.jsonl');
  writeFileSync(input, copies(5));  // 30 groups
  const r = run(['score', input, '--out', join(dir, 'many-out.jsonl')]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
  assert.equal(rows.length, 1 + 20 + 1 + 1, r.stdout);  // header, 20 groups, the rest, the total
  assert.match(rows[21], /^\| \(10 more groups\) \|/);
  assert.match(rows[22], /^\| all 30 groups \| 180 \|/);
});

test('a UTF-8 byte order mark before the first line is accepted', () => {
  const input = join(dir, 'bom.jsonl');
  writeFileSync(input, '\uFEFF' + examplesText);
  const r = run(['score', input, '--out', join(dir, 'bom-out.jsonl')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${examples.length} of ${examples.length} rollouts scored`));
});

test('an error names the path and says its code once', () => {
  const r = run(['score', join(dir, 'no-such.jsonl'), '--out', join(dir, 'x.jsonl')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.match(/ENOENT/g)?.length, 1, r.stderr);
  assert.ok(r.stderr.includes('no-such.jsonl'), r.stderr);
});

test('the progress bar fits the terminal: no line longer than its width (a pseudo-terminal of 50 columns)', (t) => {
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('util-linux script is not installed');
  const input = join(dir, 'progress.jsonl');
  writeFileSync(input, copies(4));
  // INFOGAIN_PROGRESS_AFTER_MS=0: the bar from the first batch on, however fast this machine scores
  const command = `stty cols 50; INFOGAIN_PROGRESS_AFTER_MS=0 '${process.execPath}' '${cli}' score '${input}' --out '${join(dir, 'progress-out.jsonl')}' --batch-size 2`;
  const r = spawnSync('script', ['-q', '-c', command, '/dev/null'], { cwd: dir, encoding: 'utf8' });
  const bars = r.stdout.split(/[\r\n]/).filter((l) => /rollouts .*\/s .*ETA/.test(l));
  assert.ok(bars.length > 0, `no progress line in ${JSON.stringify(r.stdout.slice(0, 300))}`);
  for (const b of bars) assert.ok(b.length < 50, `${b.length} columns: ${JSON.stringify(b)}`);
});
