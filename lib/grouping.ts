// Inputs shared by the advantages family: how samples are grouped, where each sequence's tokens
// live (the token layout), and the per-group statistics handed back. Types and lengths are checked
// here; element values (negative ids, non-monotone offsets, mask values, NaN) are checked by the
// native code before any work, with the same typed errors.
import { codes, rangeError, typeError } from './errors';
import { finiteNumber, integer, knownKeys, typedArray } from './validate';
import { offsetList } from './spans';

/**
 * Group membership, one of two forms: `groups`, an id per sample (any non-negative integers, any
 * order, ragged), or `groupSize`, fixed-size consecutive groups.
 */
export type Grouping =
  | {
      /** Group id of each sample (Int32Array, >= 0). */
      groups: Int32Array;
      groupSize?: never;
    }
  | {
      /** Consecutive groups of this many samples. */
      groupSize: number;
      groups?: never;
    };

/**
 * Where each sequence's tokens live in a flat token array, one of two forms:
 * - padded: `{ columns, mask? }`, row-major [rows, columns] (verl's response tensors);
 * - packed: `{ offsets, mask? }`, sequence r = tokens [offsets[r], offsets[r + 1]), offsets[0] = 0.
 * `mask` (Uint8Array of 0 / 1, one per token) marks the valid tokens (the response or loss mask);
 * without it every token is valid. Masked tokens are never read and get 0 in every output.
 */
export type TokenLayout =
  | { columns: number; offsets?: never; mask?: Uint8Array }
  | { offsets: Int32Array; columns?: never; mask?: Uint8Array };

/** Statistics of each group, aligned with `ids` (the distinct group ids, ascending). */
export interface GroupStatistics {
  ids: Int32Array;
  mean: Float32Array;
  std: Float32Array;
  count: Int32Array;
}

/** What the binding receives for a layout. */
export interface NativeLayout {
  columns?: number;
  offsets?: Int32Array;
  mask?: Uint8Array;
}

const maxTokens = 2 ** 31 - 1;

/** Validates a grouping for n samples; returns what the binding takes. */
export function grouping(value: unknown, n: number, name = 'options'): { groups?: Int32Array; groupSize?: number } {
  if (value === null || typeof value !== 'object') throw typeError(name, `${name} must be an object with groups or groupSize`);
  const g = value as { groups?: unknown; groupSize?: unknown };
  if (g.groups !== undefined && g.groupSize !== undefined)
    throw rangeError(codes.outOfRange, 'groupSize', 'give either groups or groupSize, not both');
  if (g.groups !== undefined) return { groups: typedArray<Int32Array>(g.groups, 'groups', Int32Array, n) };
  if (g.groupSize === undefined) throw typeError('groups', 'groups (an Int32Array of group ids) or groupSize is required');
  const groupSize = integer(g.groupSize, 'groupSize', 1, 2 ** 31 - 1);
  if (n % groupSize !== 0)
    throw rangeError(codes.shape, 'groupSize', `${n} samples are not a whole number of groups of ${groupSize}`);
  return { groupSize };
}

/**
 * Validates a layout. rows: the number of sequences when known (else from the layout: offsets, or
 * tokens / columns); tokens: the token count when known. Returns the layout, rows and tokens.
 */
const layoutKeys = ['columns', 'offsets', 'mask'] as const;

export function tokenLayout(value: unknown, rows?: number, tokens?: number): { layout: NativeLayout; rows: number; tokens: number } {
  if (value === null || typeof value !== 'object')
    throw typeError('layout', 'layout must be an object { columns, mask? } or { offsets, mask? }');
  knownKeys(value, 'layout', layoutKeys);
  const l = value as { columns?: unknown; offsets?: unknown; mask?: unknown };
  const layout: NativeLayout = {};
  if (l.offsets !== undefined) {
    if (l.columns !== undefined) throw rangeError(codes.outOfRange, 'layout.columns', 'give either layout.columns or layout.offsets, not both');
    const offsets = typedArray<Int32Array>(l.offsets, 'layout.offsets', Int32Array, rows === undefined ? undefined : rows + 1);
    if (offsets.length === 0) throw rangeError(codes.shape, 'layout.offsets', 'layout.offsets needs rows + 1 >= 1 entries');
    const last = offsets[offsets.length - 1];
    if (last < 0 || (tokens !== undefined && last !== tokens))
      throw rangeError(codes.shape, 'layout.offsets', `layout.offsets ends at ${last}, expected ${tokens ?? '>= 0'} tokens`, offsets.length - 1);
    offsetList(offsets, 'layout.offsets', last); // the order too, before any output is sized by `last`
    layout.offsets = offsets;
    rows = offsets.length - 1;
    tokens = last;
  } else {
    const columns = integer(l.columns, 'layout.columns', 1, maxTokens);
    if (rows === undefined) {
      if (tokens === undefined || tokens % columns !== 0)
        throw rangeError(codes.shape, 'layout.columns', `${tokens} tokens are not whole rows of ${columns} columns`);
      rows = tokens / columns;
    }
    if (rows * columns > maxTokens) throw rangeError(codes.outOfRange, 'layout.columns', 'rows * columns exceeds 2^31 - 1 tokens');
    if (tokens !== undefined && rows * columns !== tokens)
      throw rangeError(codes.shape, 'layout', `the layout holds ${rows * columns} tokens, expected ${tokens}`);
    layout.columns = columns;
    tokens = rows * columns;
  }
  if (l.mask !== undefined) layout.mask = typedArray<Uint8Array>(l.mask, 'layout.mask', Uint8Array, tokens);
  return { layout, rows, tokens };
}

/** The smallest epsilon added to a standard deviation before dividing by it. */
export const minStdEpsilon = 1e-300;

/**
 * An epsilon added to a std that may be 0 before dividing by it: a group (or batch) whose values are
 * all equal has x - mean = 0 and std 0, and gets 0 / eps = 0. eps 0 would make that 0 / 0 = NaN, and
 * a subnormal eps a 1 / eps that overflows; 1e-300 leaves every non-zero std of float32 data unchanged.
 */
export function stdEpsilon(value: unknown, name: string): number {
  const v = finiteNumber(value, name);
  if (!(v >= minStdEpsilon))
    throw rangeError(codes.outOfRange, name, `${name} must be >= ${minStdEpsilon} (it keeps a group whose values are all equal at 0 / ${name} = 0, not 0 / 0), got ${v}`);
  return v;
}
