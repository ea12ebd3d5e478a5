// npm run build:native: compiles the addon with cmake-js into build/Release/infogain.node.
//   INFOGAIN_CUDA=0       CPU only, even where nvcc is found (skips the minutes of CUDA compile)
//   INFOGAIN_SYSROOT=DIR  compile with the Debian 11 toolchain in DIR (scripts/bullseye-sysroot.sh):
//                         the portable binary that `npm pack` ships (cmake/bullseye-toolchain.cmake)
//   INFOGAIN_VERBOSE=1    print every line of cmake and the compilers, and ptxas's register report
// Otherwise it prints a line before compiling, compiler warnings, and a line when done; the whole
// log is in build/build.log. It configures every time, because `cmake-js build` alone keeps the
// options of the first configure (an INFOGAIN_CUDA=0 after a CUDA build would be ignored).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build');
const on = (name) => !['', '0', 'off', 'false', 'no'].includes((process.env[name] ?? '').toLowerCase());
const cuda = process.env.INFOGAIN_CUDA === undefined || on('INFOGAIN_CUDA');
const verbose = on('INFOGAIN_VERBOSE');
const sysroot = process.env.INFOGAIN_SYSROOT ? path.resolve(process.env.INFOGAIN_SYSROOT) : '';
const toolchain = sysroot ? path.join(root, 'cmake', 'bullseye-toolchain.cmake') : '';

// A cache made with another toolchain cannot switch compilers: start that configure afresh.
const toolchainMark = path.join(out, 'toolchain.txt');
const wanted = sysroot ? `${toolchain} ${sysroot}` : 'host';
if (fs.existsSync(toolchainMark) ? fs.readFileSync(toolchainMark, 'utf8') !== wanted : fs.existsSync(path.join(out, 'CMakeCache.txt'))) {
  fs.rmSync(path.join(out, 'CMakeCache.txt'), { force: true });
  fs.rmSync(path.join(out, 'CMakeFiles'), { recursive: true, force: true });
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(toolchainMark, wanted);

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const common = ['--out', out, '--log-level', verbose ? 'info' : 'warn'];
const configure = [
  'configure', ...common,
  `--CDINFOGAIN_CUDA=${cuda ? 'ON' : 'OFF'}`,
  `--CDINFOGAIN_VERBOSE=${verbose ? 'ON' : 'OFF'}`,
  ...(toolchain ? [`--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`] : []),
];
const log = fs.createWriteStream(path.join(out, 'build.log'));
const progress = process.stderr.isTTY && !verbose;

/** Runs cmake-js; resolves to its output lines (quiet) after echoing them (verbose). */
function runCmakeJs(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let pending = '';
    const take = (chunk) => {
      log.write(chunk);
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop();
      for (const line of parts) {
        lines.push(line);
        const step = /^\[(\d+)\/(\d+)\]/.exec(line);
        if (progress && step) process.stderr.write(`\r  [${step[1]}/${step[2]}]`);
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      if (progress) process.stderr.write('\r\x1b[K');
      if (pending) lines.push(pending);
      code === 0 ? resolve(lines) : reject(Object.assign(new Error(`cmake-js ${args[0]} failed`), { lines }));
    });
  });
}

async function main() {
  const started = Date.now();
  const configured = await runCmakeJs(configure);
  // CMakeLists.txt prints one status line saying what it builds ("infogain: CUDA 13.0.88, ..." or CPU only)
  const what = (configured.find((l) => l.startsWith('-- infogain: ')) ?? '').replace('-- infogain: ', '');
  if (!verbose) console.log(`infogain: compiling the addon: ${what || 'see build/build.log'}${sysroot ? `; Debian 11 toolchain in ${sysroot}` : ''}`);
  const built = await runCmakeJs(['build', ...common]);
  if (!verbose) {
    const warnings = built.filter((l) => /\bwarning\b/i.test(l));
    for (const w of warnings.slice(0, 20)) console.log(`  ${w}`);
    if (warnings.length > 20) console.log(`  ... ${warnings.length - 20} more warnings`);
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`infogain: built build/Release/infogain.node in ${seconds} s${warnings.length ? ` with ${warnings.length} warnings` : ''} (log: build/build.log)`);
  }
}

main().catch((e) => {
  if (e.lines) {
    console.error(e.lines.slice(-60).join('\n'));
    console.error(`\ninfogain: ${e.message}; the whole log is build/build.log`);
  } else {
    console.error(e);
  }
  process.exitCode = 1;
});
