// Running a check on every CPU instruction set this machine has (scalar, AVX2, AVX-512), for the
// bugs that lived in one SIMD kernel; and the float32 extremes those checks feed them.
import { backends, configure } from '../../dist/index.js';

export const FLT_MAX = 3.4028234663852886e38;

/** The ISAs this CPU has, narrowest first. */
export function isasHere() {
  const order = ['scalar', 'avx2', 'avx512'];
  return order.slice(0, order.indexOf(backends().cpu.detectedIsa) + 1);
}

/** Runs fn(isa) on every ISA this CPU has, then restores the ISA that was set. */
export function onEveryIsa(fn) {
  const start = backends().cpu;
  try {
    for (const isa of isasHere()) {
      configure({ isa });
      fn(isa);
    }
  } finally {
    configure({ isa: start.isa });
  }
}

/** Runs fn(isa, threads) on every ISA this CPU has with 1 and then 2 threads (a row split in two
 * pieces merges them), then restores the ISA and thread count that were set. */
export function onEveryIsaAndSplit(fn) {
  const start = backends().cpu;
  try {
    for (const isa of isasHere())
      for (const threads of [1, 2]) {
        configure({ isa, threads });
        fn(isa, threads);
      }
  } finally {
    configure({ isa: start.isa, threads: start.threads });
  }
}
