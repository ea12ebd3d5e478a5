// maskFeedback: InfoPO's counterfactual sequence, with every observation span replaced by a
// length-matched placeholder so each later token keeps its position.
import { codes, rangeError } from './errors';
import { spanList } from './spans';
import { typedArray } from './validate';

/**
 * A copy of `ids` where each span [start, end) holds the placeholder ids, padded by repeating the
 * placeholder's last id or truncated to the span's length (as InfoPO's rollout does). Overlapping
 * or out-of-range spans are a RangeError; the placeholder must not be empty. Synchronous: it is a copy.
 */
export function maskFeedback(ids: Int32Array, spans: Int32Array, placeholder: Int32Array): Int32Array {
  const source = typedArray<Int32Array>(ids, 'ids', Int32Array);
  const list = spanList(spans, 'spans', source.length);
  const fill = typedArray<Int32Array>(placeholder, 'placeholder', Int32Array);
  if (fill.length === 0) throw rangeError(codes.shape, 'placeholder', 'placeholder must hold at least one id');
  const out = Int32Array.from(source);
  for (let k = 0; k < list.length; k += 2) {
    const start = list[k], length = list[k + 1] - start;
    out.set(fill.subarray(0, Math.min(length, fill.length)), start);
    if (length > fill.length) out.fill(fill[fill.length - 1], start + fill.length, start + length);
  }
  return out;
}
