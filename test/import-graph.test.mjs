// lib/ has no import loop: the compiled modules in dist/ and the relative require()s between them
// (tsc's CommonJS output) form a graph without a cycle. A loop makes a module see another's
// exports half-initialized, the bug pool.ts once worked around with a call-time lookup.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

function jsFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) jsFiles(path, out);
    else if (name.endsWith('.js')) out.push(path);
  }
  return out;
}

const isFile = (p) => { try { return statSync(p).isFile(); } catch { return false; } };

/** file -> the files it requires by a relative path (packages and node: built-ins are not lib/). */
export function importGraph(root) {
  const graph = new Map();
  for (const file of jsFiles(root)) {
    const deps = [];
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']*)["']\s*\)/g)) {
      const base = resolve(dirname(file), spec);
      const target = [base, `${base}.js`, join(base, 'index.js')].find(isFile);
      assert.ok(target, `${relative(root, file)} requires ${spec}, which is not in ${root}`);
      deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** The first cycle found (as relative paths, the first file repeated at the end), or null. */
export function findCycle(graph, root) {
  const state = new Map();  // 1: on the current path, 2: done
  const path = [];
  const visit = (file) => {
    state.set(file, 1);
    path.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 1) return [...path.slice(path.indexOf(dep)), dep].map((f) => relative(root, f));
      if (!state.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    path.pop();
    state.set(file, 2);
    return null;
  };
  for (const file of graph.keys()) {
    if (state.has(file)) continue;
    const found = visit(file);
    if (found) return found;
  }
  return null;
}

test('the compiled lib/ (dist/) has no import cycle', () => {
  const graph = importGraph(dist);
  assert.ok(graph.size > 50, `only ${graph.size} modules found in ${dist}: is dist/ built?`);
  const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
  assert.ok(edges > graph.size, `only ${edges} relative requires found: has tsc's output changed form?`);
  const cycle = findCycle(graph, dist);
  assert.equal(cycle, null, `import cycle: ${cycle?.join(' -> ')}`);
});

test('the walker finds a cycle two modules away, and none in a chain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infogain-import-graph-'));
  try {
    mkdirSync(join(dir, 'pool'));
    writeFileSync(join(dir, 'index.js'), 'const a = require("./a");\nconst p = require("./pool");\n');
    writeFileSync(join(dir, 'a.js'), 'const fs = require("node:fs");\n');
    writeFileSync(join(dir, 'pool', 'index.js'), 'const k = require("../kernels");\n');
    writeFileSync(join(dir, 'kernels.js'), 'const a = require("./a.js");\n');
    assert.equal(findCycle(importGraph(dir), dir), null);
    writeFileSync(join(dir, 'kernels.js'), 'const a = require("./a.js");\nconst i = require("./index");\n');
    assert.deepEqual(findCycle(importGraph(dir), dir), ['index.js', join('pool', 'index.js'), 'kernels.js', 'index.js']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
