// `infogain score --out`: an output that cannot be written fails loudly before any scoring (exit 1,
// the path in the message); the output is written to a temporary file and renamed (an interrupt or
// a kill leaves the old file whole, never a truncated line); --out equal to the input is refused;
// SIGTERM is handled like SIGINT (whole groups, exit 143); an unknown flag names the nearest one;
// groups keep their JSON value and type. Every case runs the real CLI in a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'infogain-cli-output-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const examples = readFileSync(join(root, 'examples', 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const input = join(dir, 'in.jsonl');
writeFileSync(input, examples.map((e) => JSON.stringify(e)).join('\n'));
// 30 copies of the examples in 180 groups: long enough to interrupt
const many = join(dir, 'many.jsonl');
writeFileSync(many, Array.from({ length: 30 }, (_, k) => examples.map((e) => JSON.stringify({ ...e, id: `${e.id}-${k}`, group: `${e.group}-${k}` }))).flat().join('\n'));

function run(args, cwd = dir) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Files the CLI left in `where` besides `keep` (a temporary file must never stay). */
const leftovers = (where, keep) => readdirSync(where).filter((f) => !keep.includes(f));

describe('an output that cannot be written fails before any work, naming the path', () => {
  mkdirSync(join(dir, 'a-directory'));
  writeFileSync(join(dir, 'a-file'), 'x');
  const cases = [
    ['a missing directory', join(dir, 'missing', 'out.jsonl'), /ENOENT/],
    ['a directory', join(dir, 'a-directory'), /is a directory/],
    ['a path under a file', join(dir, 'a-file', 'out.jsonl'), /ENOTDIR/],
  ];
  for (const [what, out, why] of cases) {
    test(what, () => {
      // a model that does not exist: the output is checked first, so its error is the one reported
      const r = run(['score', input, '--out', out, '--model', join(dir, 'no-such-model.onnx')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ERR_INFOGAIN_OUTPUT: cannot write the output/);
      assert.ok(r.stderr.includes(out), `the message names ${out}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stdout, /rollouts scored/);
    });
  }

  test('/dev/full: the write fails with ENOSPC, exit 1, nothing reported as written', () => {
    const r = run(['score', input, '--out', '/dev/full']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ERR_INFOGAIN_OUTPUT: cannot write the output \/dev\/full: ENOSPC/);
    assert.doesNotMatch(r.stdout, /written to/);
  });

  test('--out equal to the input (the same path, another spelling, a hard link, a symlink): refused, exit 2, input untouched', () => {
    const before = readFileSync(input, 'utf8');
    linkSync(input, join(dir, 'hard.jsonl'));
    symlinkSync(input, join(dir, 'soft.jsonl'));
    for (const out of [input, 'in.jsonl', './in.jsonl', join(dir, '..', dir.split('/').pop(), 'in.jsonl'), 'hard.jsonl', 'soft.jsonl']) {
      const r = run(['score', input, '--out', out]);
      assert.equal(r.code, 2, `${out}: ${r.stderr}`);
      assert.match(r.stderr, /is the input file; refusing to overwrite it/);
    }
    assert.equal(readFileSync(input, 'utf8'), before);
  });

  test('--json-summary naming the output, also a file not there yet: refused, exit 2, nothing written', () => {
    const where = mkdtempSync(join(dir, 'summary-'));
    for (const summary of ['r.jsonl', './r.jsonl', join(where, 'r.jsonl')]) {
      const r = run(['score', input, '--out', 'r.jsonl', '--json-summary', summary], where);
      assert.equal(r.code, 2, `${summary}: ${r.stderr}`);
      assert.match(r.stderr, /--json-summary .* is the input, the calibration or the output file/);
      assert.deepEqual(readdirSync(where), []);
    }
  });
});

test('--out - into a reader that leaves (EPIPE): exit 1 with ERR_INFOGAIN_OUTPUT, not a crash', async () => {
  const child = spawn(process.execPath, [cli, 'score', many, '--out', '-'], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());  // as `| head -1` does
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
  assert.equal(code, 1, stderr);
  assert.match(stderr, /ERR_INFOGAIN_OUTPUT: cannot write the output -: stdout: write EPIPE/);
  assert.doesNotMatch(stderr, /Unhandled|node:events|^\s+at /m, stderr);
});

describe('the output is replaced all at once', () => {
  test('a finished run replaces the old file, keeps its permissions, and leaves no temporary file', () => {
    const where = mkdtempSync(join(dir, 'replace-'));
    const out = join(where, 'rewards.jsonl');
    writeFileSync(out, 'old\n', { mode: 0o640 });
    const r = run(['score', input, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, examples.length);
    lines.forEach((l) => JSON.parse(l));
    assert.equal(spawnSync('stat', ['-c', '%a', out], { encoding: 'utf8' }).stdout.trim(), '640');
    assert.deepEqual(leftovers(where, ['rewards.jsonl']), []);
  });

  test('SIGTERM twice: quits at once (143), the old file is intact and no temporary file is left', async () => {
    const where = mkdtempSync(join(dir, 'kill-'));
    const out = join(where, 'rewards.jsonl');
    writeFileSync(out, 'old\n');
    // one batch of every rollout: the batch running at the first signal lasts long enough for the second
    const child = spawn(process.execPath, [cli, 'score', many, '--out', out, '--batch-size', '4096'], { cwd: dir });
    let stderr = '';
    const interrupted = new Promise((resolve) => child.stderr.on('data', (d) => ((stderr += d), /interrupted/.test(stderr) && resolve())));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(leftovers(where, ['rewards.jsonl']).length === 1, 'the temporary file exists while scoring');
    child.kill('SIGTERM');
    await interrupted;
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
    assert.equal(code, 143, stderr);
    assert.equal(readFileSync(out, 'utf8'), 'old\n');
    assert.deepEqual(leftovers(where, ['rewards.jsonl']), []);
  });

  test('SIGTERM once: the current batch finishes and the whole groups scored so far are written (exit 143)', async () => {
    const out = join(dir, 'terminated.jsonl');
    const child = spawn(process.execPath, [cli, 'score', many, '--out', out], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
    assert.equal(code, 143, stderr);
    assert.match(stderr, /interrupted \(SIGTERM\)/);
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(records.length > 0 && records.length < 30 * examples.length, `${records.length} records`);
    const perGroup = new Map();
    for (const r of records) perGroup.set(r.group, (perGroup.get(r.group) ?? 0) + 1);
    const size = new Map();
    for (const e of examples) size.set(e.group, (size.get(e.group) ?? 0) + 1);
    for (const [g, n] of perGroup) assert.equal(n, size.get(g.replace(/-\d+$/, '')), `group ${g} is whole`);
  });

  test('an error after the output was opened (bad rollout lines) leaves no temporary file', () => {
    const where = mkdtempSync(join(dir, 'bad-'));
    const bad = join(where, 'bad.jsonl');
    writeFileSync(bad, '{not json\n');
    const r = run(['score', bad, '--out', join(where, 'out.jsonl')]);
    assert.equal(r.code, 2);
    assert.deepEqual(leftovers(where, ['bad.jsonl']), []);
  });
});

test('score --help, serve -h: the usage on stdout, exit 0', () => {
  for (const [args, shows] of [[['score', '--help'], /score options/], [['score', input, '-h'], /score options/], [['serve', '--help'], /--port/]]) {
    const r = run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, shows);
  }
});

test('an unknown flag names the nearest known one (exit 2)', () => {
  const cases = [['--outt', '--out'], ['--temprature', '--temperature'], ['--batchsize', '--batch-size'], ['--gate-temp', '--gate-temperature']];
  for (const [typo, near] of cases) {
    const r = run(['score', input, typo, '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`unknown flag '${typo}'; did you mean ${near}?`), r.stderr);
  }
  const far = run(['score', input, '--frobnicate']);
  assert.equal(far.code, 2);
  assert.match(far.stderr, /unknown flag '--frobnicate' \(infogain --help lists the flags\)/);
});

test('groups keep their JSON value and type: 1 and 1.0 are one group, "1" another; the output keeps integers', () => {
  const [a, b, c, d] = examples;
  const file = join(dir, 'typed-groups.jsonl');
  // 1.0 is written as text: JSON.stringify would print 1
  const lines = [
    JSON.stringify({ ...a, id: 'int', group: 1 }),
    JSON.stringify({ ...b, id: 'float', group: 1 }).replace('"group":1', '"group":1.0'),
    JSON.stringify({ ...c, id: 'string', group: '1' }),
    JSON.stringify({ ...d, id: 'other', group: 'g' }),
  ];
  assert.match(lines[1], /"group":1\.0/);
  writeFileSync(file, lines.join('\n'));
  const out = join(dir, 'typed-groups-out.jsonl');
  const r = run(['score', file, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((x) => [x.id, x.group]), [['int', 1], ['float', 1], ['string', '1'], ['other', 'g']]);
  assert.match(r.stdout, /\| 1 \| 2 \|/, 'groups 1 and 1.0: one group of two');
  assert.match(r.stdout, /\| "1" \| 1 \|/, 'group "1": its own group, quoted next to the number');
  // an integer JSON cannot keep exactly is a line error, not a silent merge
  writeFileSync(file, JSON.stringify({ ...a, group: 0 }).replace('"group":0', '"group":9007199254740993'));
  const big = run(['score', file, '--out', out]);
  assert.equal(big.code, 2);
  assert.match(big.stderr, /line 1: "group" must be a string or an integer of at most 2\^53 - 1/);
});
