// Running a check on every CPU instruction set this machine has (scalar, AVX2, AVX-512), for the
// bugs that lived in one SIMD kernel; and the float32 extremes those checks feed them.
import { backends, configure } from '../../dist/index.js';

export const FLT_MAX = 3.4028234663852886e38;

/** Runs fn(isa) on every ISA this CPU has, then restores the ISA that was set. */
export function onEveryIsa(fn) {
  const start = backends().cpu;
  const order = ['scalar', 'avx2', 'avx512'];
  try {
    for (const isa of order.slice(0, order.indexOf(start.detectedIsa) + 1)) {
      configure({ isa });
      fn(isa);
    }
  } finally {
    configure({ isa: start.isa });
  }
}
