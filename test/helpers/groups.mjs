// Random ragged groupings and token layouts for the advantages family's tests.

/** Fisher-Yates in place with the seeded generator. */
export function shuffle(r, a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Group ids (Int32Array) for groups of the given sizes, in shuffled sample order. Ids are spread
 * with gaps ('dense', the lookup-table path) or large and random ('sparse', the sorting path).
 */
export function raggedIds(r, sizes, { sparse = false } = {}) {
  const used = new Set();
  const ids = [];
  sizes.forEach((size, g) => {
    let id = 3 * g + 1;
    if (sparse) {
      do id = 1e8 + r.int(2 ** 31 - 1e8 - 1);
      while (used.has(id));
    }
    used.add(id);
    for (let k = 0; k < size; k++) ids.push(id);
  });
  return Int32Array.from(shuffle(r, ids));
}

/** Group sizes: every size in `must` once, then random sizes in [1, maxRandom] up to `groups` groups. */
export function groupSizes(r, groups, must = [1, 2, 64], maxRandom = 9) {
  const sizes = [...must];
  while (sizes.length < groups) sizes.push(1 + r.int(maxRandom));
  return shuffle(r, sizes);
}

/** Float32 scores of a kind: 'binary' (0/1), 'normal', 'offset' (1e6 + normal: cancellation bait), 'equal'. */
export function randomScores(r, n, kind) {
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++)
    s[i] = kind === 'binary' ? r.int(2) : kind === 'offset' ? 1e6 + 4 * r.normal() : kind === 'equal' ? 0.1 : 2 * r.normal();
  return s;
}

/**
 * A padded [rows, columns] layout whose mask has a random valid prefix per row (right padding),
 * optionally with holes (masked observations) inside it; every row keeps >= minValid valid tokens.
 */
export function paddedLayout(r, rows, columns, { holes = false, minValid = 1 } = {}) {
  const mask = new Uint8Array(rows * columns);
  for (let b = 0; b < rows; b++) {
    const len = minValid + r.int(columns - minValid + 1);
    for (let t = 0; t < len; t++) mask[b * columns + t] = holes && t > 0 && t < len - 1 && r.next() < 0.3 ? 0 : 1;
  }
  return { columns, mask };
}

/** A packed layout of rows with lengths in [minLength, maxLength] and an optional mask. */
export function packedLayout(r, rows, minLength, maxLength, { masked = false } = {}) {
  const offsets = new Int32Array(rows + 1);
  for (let b = 0; b < rows; b++) offsets[b + 1] = offsets[b] + minLength + r.int(maxLength - minLength + 1);
  const layout = { offsets };
  if (masked) {
    layout.mask = new Uint8Array(offsets[rows]);
    for (let t = 0; t < layout.mask.length; t++) layout.mask[t] = r.next() < 0.8 ? 1 : 0;
    for (let b = 0; b < rows; b++) if (offsets[b + 1] > offsets[b]) layout.mask[offsets[b]] = 1;
  }
  return layout;
}
