// Every export of the package, called with junk arguments: it returns (or resolves), or throws
// (or rejects) a typed error with an ERR_* code; the process never crashes. The export list comes
// from the module itself, so a new export is covered without touching this file; the objects the
// factories return (a pool, a tokenizer, a scorer, an estimator) have every method called the same
// way. The calls run in a child process: an abort or a crash shows up as a failed test with its
// output, not a lost test runner.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const script = `
import * as ig from ${JSON.stringify(dist)};

// Exports whose junk calls change process-wide state: called last, then reset.
const last = new Set(['configure']);

function junkValues() {
  const detached = new Uint8Array(8);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  return [
    undefined, null, true, 0, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31) - 1, 10n, '', 'x', 'cuda', Symbol('s'),
    {}, [], [1, 'a', null], () => 1, Object.create(null), { length: 1e12 }, new Map(), new Date(NaN), /re/,
    new Float32Array(3), new Float64Array(2), new Int32Array([-1, 2 ** 31 - 1]), new Uint8Array(0), detached,
    new Float32Array(new SharedArrayBuffer(8)), new Proxy(new Float32Array(4), {}), new Proxy({}, {}), new ArrayBuffer(4),
    new DataView(new ArrayBuffer(4)), { data: new Float32Array(2), rows: 1, vocab: 2 }, { groupSize: 1 }, { columns: 1 },
  ];
}

const results = [];
let calls = 0;

/** Runs one call; records anything that is not a result or a typed error. */
async function attempt(what, fn, cleanup = true) {
  calls++;
  let value;
  try {
    value = fn();
    if (value && typeof value.then === 'function') {
      let timer;
      const late = {};
      try {
        value = await Promise.race([value, new Promise((resolve) => (timer = setTimeout(resolve, 20000, late)))]);
      } finally {
        clearTimeout(timer);
      }
      if (value === late) {
        results.push({ what, error: 'did not settle within 20 s' });
        return undefined;
      }
    }
  } catch (e) {
    const typed = e instanceof Error && typeof e.code === 'string' && /^(ERR_|ABORT_ERR)/.test(e.code);
    if (!typed) results.push({ what, error: String(e?.name) + ': ' + String(e?.message).slice(0, 200) });
    return undefined;
  }
  // things a junk call made that hold resources (a class constructed directly is not cleaned up:
  // OnnxScorer's constructor is private to the TypeScript API, its create() makes working ones)
  if (!cleanup) return value;
  try {
    if (value && typeof value.destroy === 'function' && typeof value.stats === 'function') await value.destroy();
    if (value && typeof value.dispose === 'function' && typeof value.encode === 'function') await value.dispose();
  } catch (e) {
    results.push({ what: what + ' then its cleanup', error: String(e?.name) + ': ' + String(e?.message).slice(0, 200) });
  }
  return value;
}

function describeArgs(args) {
  return args.map((a) => (typeof a === 'symbol' ? 'Symbol' : typeof a === 'bigint' ? a + 'n' : Object.prototype.toString.call(a))).join(', ');
}

const isClass = (f) => /^class\\b/.test(Function.prototype.toString.call(f));

/** The function-valued properties of an object and its prototypes (below Object.prototype). */
function methodsOf(obj) {
  const names = new Set();
  for (let p = obj; p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p))
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && typeof obj[k] === 'function') names.add(k);
  return [...names];
}

async function callAll(label, target, name, junk) {
  const f = target[name];
  for (const v of junk)
    for (const n of [1, 3]) {
      const args = new Array(n).fill(v);
      await attempt(label + '(' + describeArgs(args) + ')', () => (isClass(f) ? new f(...args) : f.apply(target, args)), !isClass(f));
    }
  await attempt(label + '()', () => (isClass(f) ? new f() : f.call(target)), !isClass(f));
  // one junk value per position, the others valid-looking
  for (let k = 0; k < junk.length; k++) {
    const args = [junk[k], junk[(k + 7) % junk.length], junk[(k + 13) % junk.length]];
    await attempt(label + '(' + describeArgs(args) + ')', () => (isClass(f) ? new f(...args) : f.apply(target, args)), !isClass(f));
  }
}

const initial = ig.backends().cpu;
const names = Object.keys(ig).sort((a, b) => Number(last.has(a)) - Number(last.has(b)));
const exported = [];
for (const name of names) {
  const value = ig[name];
  if (typeof value !== 'function') continue;
  exported.push(name);
  const t0 = performance.now();
  await callAll(name, ig, name, junkValues());
  if (process.env.JUNK_TRACE) process.stderr.write(name + ' ' + (performance.now() - t0).toFixed(0) + ' ms\\n');
  if (isClass(value)) for (const m of Object.getOwnPropertyNames(value)) if (typeof value[m] === 'function') await callAll(name + '.' + m, value, m, junkValues());
}
ig.configure({ isa: initial.isa, threads: initial.threads });

// the objects the package hands out: every method, junk arguments
const pool = ig.createRewardPool({ threads: 1 });
const scorer = await ig.OnnxScorer.create();
const objects = {
  pool,
  'pool.with({})': pool.with({}),
  byteTokenizer: ig.byteTokenizer(),
  scorer,
  'scorer.tokenizer': scorer.tokenizer,
  estimator: new ig.ShapleyEstimator({ players: 3, budget: 8 }),
};
for (const [label, obj] of Object.entries(objects))
  for (const m of methodsOf(obj)) {
    if (['close', 'destroy', 'dispose'].includes(m)) continue;
    const t0 = performance.now();
    await callAll(label + '.' + m, obj, m, junkValues());
    if (process.env.JUNK_TRACE) process.stderr.write(label + '.' + m + ' ' + (performance.now() - t0).toFixed(0) + ' ms\\n');
  }
await pool.close();
await scorer.dispose();
console.log(JSON.stringify({ calls, exported, results }));
`;

test('every export and every method of what they return, called with junk: a result or a typed error, never a crash', { timeout: 600000 }, async () => {
  const where = mkdtempSync(join(tmpdir(), 'infogain-exports-junk-'));
  const file = join(where, 'junk.mjs');
  writeFileSync(file, script);
  const { code, stdout, stderr } = await new Promise((resolve) =>
    execFile(process.execPath, [file], { timeout: 540000, maxBuffer: 64 << 20 }, (error, out, err) =>
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout: out, stderr: err }),
    ),
  );
  rmSync(where, { recursive: true, force: true });
  assert.equal(code, 0, `the child process died (${code}): ${stderr.slice(-4000)}`);
  const { calls, exported, results } = JSON.parse(stdout.trim().split('\n').pop());
  assert.ok(exported.includes('loadTokenizer') && exported.includes('createRewardPool') && exported.length > 50, `exports seen: ${exported}`);
  assert.ok(calls > 8000, `${calls} calls`);
  const byExport = new Map();
  for (const r of results) {
    const key = r.what.slice(0, r.what.indexOf('('));
    if (!byExport.has(key)) byExport.set(key, r);
  }
  assert.deepEqual([...byExport.values()], [], `untyped errors (first per function) of ${results.length}`);
});
