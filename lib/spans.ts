// Spans: Int32Array of flattened [start, end) pairs over an axis of items (rows, tokens, steps),
// and group offsets (rollouts). Same rules as native/core/spans.h.
import { codes, rangeError } from './errors';
import { oneOf, typedArray } from './validate';

export type Reduce = 'mean' | 'sum';

export interface SpanOptions {
  /** [start, end) pairs of rows: also return one value per span. Spans must not overlap. */
  spans?: Int32Array;
  /** How a span's values combine. Default 'mean' (which needs non-empty spans). */
  reduce?: Reduce;
}

/**
 * Every span inside [0, length] with start <= end (start < end with nonEmpty) and no two sharing
 * an item; the order is free. Errors name `name` and the first bad span.
 */
export function spanList(value: unknown, name: string, length: number, nonEmpty = false): Int32Array {
  const spans = typedArray<Int32Array>(value, name, Int32Array);
  if (spans.length % 2) throw rangeError(codes.shape, name, `${name} must hold [start, end) pairs (an even length), got ${spans.length} values`);
  const count = spans.length / 2;
  for (let k = 0; k < count; k++) {
    const s = spans[2 * k], e = spans[2 * k + 1];
    if (s < 0 || e > length || s > e)
      throw rangeError(codes.outOfRange, name, `${name} span ${k} = [${s}, ${e}) is not inside [0, ${length}] with start <= end`, k);
    if (nonEmpty && s === e) throw rangeError(codes.outOfRange, name, `${name} span ${k} is empty`, k);
  }
  const order = Array.from({ length: count }, (_, k) => k).filter((k) => spans[2 * k] < spans[2 * k + 1]);
  order.sort((a, b) => spans[2 * a] - spans[2 * b] || a - b);
  for (let i = 1; i < order.length; i++) {
    const prev = order[i - 1], cur = order[i];
    if (spans[2 * cur] < spans[2 * prev + 1]) {
      const later = Math.max(prev, cur);
      throw rangeError(codes.outOfRange, name, `${name} span ${later} overlaps span ${Math.min(prev, cur)}`, later);
    }
  }
  return spans;
}

/** options.spans / options.reduce as the binding takes them (reduce: 0 mean, 1 sum). */
export function spanOption(o: SpanOptions, length: number): { spans?: Int32Array; reduce: number } {
  const reduce = o.reduce === undefined ? 'mean' : oneOf(o.reduce, 'reduce', ['mean', 'sum'] as const);
  if (o.spans === undefined) return { reduce: 0 };
  return { spans: spanList(o.spans, 'spans', length, reduce === 'mean'), reduce: reduce === 'sum' ? 1 : 0 };
}

/** Group offsets: count + 1 non-decreasing values from 0 to `items` (undefined: one group). */
export function offsetList(value: unknown, name: string, items: number): Int32Array | undefined {
  if (value === undefined) return undefined;
  const offsets = typedArray<Int32Array>(value, name, Int32Array);
  if (offsets.length < 1) throw rangeError(codes.shape, name, `${name} must hold at least one offset (0)`);
  if (offsets[0] !== 0) throw rangeError(codes.outOfRange, name, `${name}[0] = ${offsets[0]} must be 0`, 0);
  for (let k = 1; k < offsets.length; k++)
    if (offsets[k] < offsets[k - 1]) throw rangeError(codes.outOfRange, name, `${name}[${k}] = ${offsets[k]} is below the offset before it`, k);
  const last = offsets.length - 1;
  if (offsets[last] !== items)
    throw rangeError(codes.shape, name, `${name}[${last}] = ${offsets[last]} must equal ${items}, the number of items grouped`, last);
  return offsets;
}
