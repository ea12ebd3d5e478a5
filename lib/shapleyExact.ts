// shapleyExact: Shapley (or Banzhaf) values of a game given as a dense table of 2^n values.
import { backendCode, type BackendOption } from './backend';
import { codes, rangeError } from './errors';
import { native } from './native';
import { keysOf, oneOf, options, typedArray } from './validate';

export type SemivalueIndex = 'shapley' | 'banzhaf';

export interface ShapleyExactOptions {
  /** 'shapley' (default) or 'banzhaf'. */
  index?: SemivalueIndex;
  /** 'auto' (default): CUDA when a device is present and n >= 16; 'cpu'; 'cuda'. */
  backend?: BackendOption;
}

/** The largest game shapleyExact takes: 2^25 values (256 MiB). */
export const maxExactPlayers = 25;

function prepare(values: unknown, opts: unknown) {
  const v = typedArray<Float64Array>(values, 'values', Float64Array);
  const len = v.length;
  if (len < 1 || (len & (len - 1)) !== 0)
    throw rangeError(codes.shape, 'values', `values has ${len} elements: expected 2^n (one value per coalition)`);
  const n = Math.log2(len);
  if (n > maxExactPlayers)
    throw rangeError(codes.outOfRange, 'values', `values has 2^${n} elements: exact values are limited to n <= ${maxExactPlayers} players`);
  const o = options<ShapleyExactOptions>(opts, 'options', keysOf<ShapleyExactOptions>()('index', 'backend'));
  const index = o.index === undefined ? 'shapley' : oneOf(o.index, 'index', ['shapley', 'banzhaf'] as const);
  return [v, { index: index === 'banzhaf' ? 1 : 0, backend: backendCode(o.backend) }] as const;
}

/**
 * Exact Shapley values phi[i] (or Banzhaf values) from values[mask] = v(S), bit i of mask = player i,
 * in O(n 2^n) with one pass over the table, off the main thread. A NaN or infinite value rejects
 * with a RangeError (code ERR_INFOGAIN_NONFINITE) naming its index.
 */
export async function shapleyExact(values: Float64Array, options?: ShapleyExactOptions): Promise<Float64Array> {
  const result = await native().shapleyExact(...prepare(values, options));
  return result.phi;
}

/** shapleyExact on the calling thread. */
export function shapleyExactSync(values: Float64Array, options?: ShapleyExactOptions): Float64Array {
  return native().shapleyExactSync(...prepare(values, options)).phi;
}
