// DEVELOPERS.md's layout table matches the tree: every folder of lib/ and native/ with source files
// has a row (or is named as `sub/` in its parent's row), every source file in those folders is named in its
// folder's row, and every file a row names exists. A move or a new file without its row fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = /\.(ts|h|cpp|cu|cuh)$/;

/** The layout table: [{ paths: ['lib/', ...], text }] from its first column and the whole row. */
function layoutRows() {
  const md = readFileSync(join(root, 'DEVELOPERS.md'), 'utf8');
  const section = md.slice(md.indexOf('## Layout'), md.indexOf('\n## ', md.indexOf('## Layout') + 1));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => ({ paths: [...l.split(' | ')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]), names: [...l.matchAll(/`([^`]+)`/g)].map((m) => m[1]) }));
}

function folders(dir, out = []) {
  out.push(dir);
  for (const name of readdirSync(join(root, dir)).sort())
    if (statSync(join(root, dir, name)).isDirectory()) folders(`${dir}${name}/`, out);
  return out;
}
const files = (dir) => readdirSync(join(root, dir)).filter((n) => source.test(n) && statSync(join(root, dir, n)).isFile());

/** The row of a folder: the first-column path equal to it, e.g. `native/core/shapley/`. */
function rowOf(rows, dir) {
  return rows.find((r) => r.paths.includes(dir));
}

/** Whether `name` (a file of the folder) is named in the row: by name, by stem, or by a pattern like `*.cu`. */
function named(row, name) {
  const stem = name.replace(/\.[^.]+$/, '');
  const family = stem.replace(/_(avx2|avx512|scalar|kernel)$/, '');
  return row.names.some((n) => {
    const token = basename(n), tokenStem = token.replace(/\.(ts|h|cpp|cu|cuh)$/, '');
    if (token === name || tokenStem === stem || tokenStem === family) return true;
    if (token.startsWith('*')) return name.endsWith(token.slice(1));
    return false;
  });
}

const rows = layoutRows();
const dirs = [...folders('lib/'), ...folders('native/')];

test('every folder of lib/ and native/ with source files has its row in DEVELOPERS.md (or is named `sub/` in its parent\'s)', () => {
  assert.ok(rows.length > 10, `only ${rows.length} rows found: has the table moved?`);
  for (const dir of dirs.filter((d) => files(d).length > 0)) {
    if (rowOf(rows, dir)) continue;
    const parent = dir.replace(/[^/]+\/$/, '');
    const sub = dir.slice(parent.length);
    assert.ok(rowOf(rows, parent)?.names.includes(sub), `DEVELOPERS.md has no row for ${dir}`);
  }
});

test('every source file of those folders is named in its folder\'s row', () => {
  const missing = [];
  for (const dir of dirs) {
    const row = rowOf(rows, dir) ?? rowOf(rows, dir.replace(/[^/]+\/$/, ''));
    // lib/'s own row shares the folder with the main job's row (its first column names the files)
    const all = { names: rows.filter((r) => r === row || r.paths.some((p) => p.startsWith(dir) && !p.endsWith('/'))).flatMap((r) => r.names) };
    for (const name of files(dir)) if (!named(all, name)) missing.push(`${dir}${name}`);
  }
  assert.deepEqual(missing, [], `files the layout table does not name: ${missing.join(', ')}`);
});

test('every file the layout table names exists', () => {
  const everywhere = new Set(dirs.flatMap((d) => readdirSync(join(root, d))));
  const stale = [];
  for (const row of rows)
    for (const n of row.names)
      if (source.test(n) && !n.startsWith('.') && !n.includes('*') && !n.includes('<') && !n.includes('{') && !everywhere.has(basename(n)) && !statSafe(join(root, n)))
        stale.push(n);
  assert.deepEqual(stale, [], `named in DEVELOPERS.md but not in the tree: ${stale.join(', ')}`);
});

function statSafe(p) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
