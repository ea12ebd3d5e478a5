// Text in rollouts: a string (tokenized by the scorer's tokenizer) or an array of token ids.
export type Text = string | number[];

export function isText(v: unknown): v is Text {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31));
}

/** Equal as written: two strings, or two arrays of the same ids (a string never equals ids). */
export function sameText(a: Text, b: Text): boolean {
  return typeof a === 'string' || typeof b === 'string' ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);
}
