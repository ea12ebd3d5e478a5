// The types suite (test/types/): `tsc -p test/types` must report nothing, so each mistake of
// mistakes.ts stays a type error (@ts-expect-error fails once it compiles) and each call of
// correct.ts compiles. The same compile is emitted and run: every mistake throws the typed error
// listed with it and every correct call runs, so the declarations and the validation agree. Then
// projects set up as users' (ESM with node16 and bundler resolution, CJS with node16 and node10,
// checked JavaScript) import the package's declarations by name from a node_modules without
// onnxruntime-node, compiled strictly with the declarations checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createRewardPool } from '../dist/index.js';
import { assertTypedError } from './helpers/assert.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const out = join(root, 'build', 'types-test');

/** Runs tsc with these arguments; resolves to its exit code and output. */
async function runTsc(args, cwd = root) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsc, ...args], { cwd, encoding: 'utf8' });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout === undefined ? e.message : ''}` };
  }
}

const missing = (needs) => needs !== undefined && globalThis[needs] === undefined;

describe('test/types: mistakes are type errors, correct calls compile, and the runtime agrees', () => {
  let compiled, suite;
  before(async () => {
    rmSync(out, { recursive: true, force: true });
    compiled = await runTsc(['-p', 'test/types', '--noEmit', 'false', '--outDir', out]);
    if (compiled.code === 0) {
      const require = createRequire(join(out, 'index.js'));
      suite = { ...require('./mistakes.js'), ...require('./correct.js') };
    }
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  test('tsc -p test/types reports nothing', () => {
    assert.equal(compiled.code, 0, `tsc -p test/types:\n${compiled.output}`);
    assert.equal(compiled.output.trim(), '');
  });

  test('every mistake is marked @ts-expect-error, one each', () => {
    const marks = readFileSync(join(root, 'test', 'types', 'mistakes.ts'), 'utf8').match(/^\s*\/\/ @ts-expect-error$/gm).length;
    assert.equal(marks, suite.mistakes.length + suite.poolMistakes.length);
    assert.ok(suite.mistakes.length >= 30 && suite.correct.length >= 30);
  });

  test('each mistake throws its typed error', (t) => {
    for (const { name, error, call, needs } of suite.mistakes) {
      if (missing(needs)) {
        t.diagnostic(`skipped (no ${needs} in Node ${process.version}): ${name}`);
        continue;
      }
      const [Class, code, argument] = error;
      const caught = assertTypedError(call, Class, code, argument);
      assert.ok(caught.message.length > 0, name);
    }
  });

  test('each correct call runs', (t) => {
    for (const { name, call, needs } of suite.correct) {
      if (missing(needs)) {
        t.diagnostic(`skipped (no ${needs} in Node ${process.version}): ${name}`);
        continue;
      }
      assert.doesNotThrow(call, name);
    }
  });

  test('through a pool: the mistakes reject with their typed errors, the correct calls resolve', async () => {
    const pool = createRewardPool({ threads: 1 });
    try {
      for (const { name, error: [Class, code, argument], call } of suite.poolMistakes) {
        const e = await call(pool).then(() => assert.fail(`${name}: resolved`), (e) => e);
        assert.ok(e instanceof Class, `${name}: ${e}`);
        assert.deepEqual([e.code, e.argument], [code, argument], name);
      }
      for (const { name, call } of suite.poolCorrect) await assert.doesNotReject(call(pool), name);
      for (const { name, call } of suite.poolCorrect) await assert.doesNotReject(call(pool.with({ transfer: true })), name);
    } finally {
      await pool.close();
    }
  });
});

describe("users' projects get the declarations through package.json", { concurrency: true }, () => {
  let dir;
  before(() => {
    // a node_modules as an install makes it: the package's declarations, @types/node, nothing else
    dir = mkdtempSync(join(tmpdir(), 'infogain-types-'));
    const pkg = join(dir, 'node_modules', 'infogain');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.js') });
    mkdirSync(join(dir, 'node_modules', '@types'));
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // each file uses the package, and makes one mistake that must stay an error (an `any` would not)
  const body = (ig) => `
const logits: ${ig}Logits = { data: toBFloat16([0, 1]), rows: 1, vocab: 2, dtype: 'bfloat16' };
export const result = ${ig}tokenLogprobsSync(logits, new Int32Array(1)).logprobs[0] + ${ig}groupAdvantagesSync(new Float32Array(2), { groupSize: 2 }).advantages[0];
// @ts-expect-error neither groups nor groupSize
${ig}groupAdvantagesSync(new Float32Array(2), {});
`;
  const named = (from) => `import { groupAdvantagesSync, tokenLogprobsSync, toBFloat16, type Logits } from '${from}';\n${body('')}`;
  // the first also checks the declarations themselves (skipLibCheck false: slow, @types/node is checked too)
  const projects = {
    'ESM, moduleResolution node16': {
      'package.json': '{ "type": "module" }',
      'tsconfig.json': { module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
      'named.ts': named('infogain'),
      'default.ts': `import ig from 'infogain';\nconst { toBFloat16 } = ig;\ntype Logits = import('infogain').Logits;\n${body('ig.').replace(/ig\.Logits/g, 'Logits')}`,
    },
    'ESM, moduleResolution bundler': {
      'tsconfig.json': { module: 'esnext', moduleResolution: 'bundler' },
      'named.ts': named('infogain'),
      'namespace.ts': `import * as ig from 'infogain';\nconst { toBFloat16 } = ig;\n${body('ig.')}`,
    },
    'CJS, moduleResolution node16': {
      'tsconfig.json': { module: 'node16', moduleResolution: 'node16', allowJs: true, checkJs: true },
      'named.cts': named('infogain'),
      'require.cts': `import ig = require('infogain');\nconst { toBFloat16 } = ig;\n${body('ig.')}`,
      'require.cjs': `const { groupAdvantagesSync } = require('infogain');\ngroupAdvantagesSync(new Float32Array(2), { groups: new Int32Array(2) });\n// @ts-expect-error groups and groupSize\ngroupAdvantagesSync(new Float32Array(2), { groups: new Int32Array(2), groupSize: 2 });\n`,
    },
    'CJS, moduleResolution node10 (the "types" field)': {
      'tsconfig.json': { module: 'commonjs', moduleResolution: 'node10' },
      'named.ts': named('infogain'),
      'require.ts': `import ig = require('infogain');\nconst { toBFloat16 } = ig;\n${body('ig.')}`,
    },
  };

  for (const [name, files] of Object.entries(projects)) {
    test(name, async () => {
      const project = join(dir, name.replace(/\W+/g, '-'));
      mkdirSync(project);
      for (const [file, text] of Object.entries(files)) {
        const compilerOptions = { strict: true, noEmit: true, target: 'ES2022', types: ['node'], skipLibCheck: true, ...text };
        writeFileSync(join(project, file), file === 'tsconfig.json' ? JSON.stringify({ compilerOptions }) : text);
      }
      const { code, output } = await runTsc(['-p', project, '--listFiles'], project);
      const errors = output.split('\n').filter((line) => /error TS/.test(line));
      assert.deepEqual(errors, [], output);
      assert.equal(code, 0, output);
      const declarations = output.split('\n').filter((f) => f.includes('/node_modules/infogain/'));
      assert.ok(declarations.some((f) => f.endsWith('/node_modules/infogain/dist/index.d.ts')), output);
    });
  }
});
