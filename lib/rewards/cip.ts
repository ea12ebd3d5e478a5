// C-IP (Conformal Information Pursuit) in the scorer. Calibration: held-out rollouts with the true
// value of every attribute give, per (attribute, step), nonconformity scores 1 - p(truth) and the
// split-conformal threshold qhat. Scoring: each (step, attribute) row's prediction-set size under
// its qhat, the step's uncertainty (the mean set size over its attributes) and its reduction turn
// to turn. The math is conformalScores / conformalQuantile / predictionSetSizes' (docs/uncertainty.md).
import { conformalQuantileSync, conformalScoresSync, predictionSetSizesSync } from '../conformal';
import { codes, describe, rangeError, typeError } from '../errors';
import type { TokenizedRollout } from '../rollouts';
import { type CandidateRows, isTokenizedAttributes, type TokenizedAttributes } from './attributes';

/** One attribute's calibration: its candidate count, and per step qhat and the rows that set it. */
export interface AttributeCalibration {
  candidates: number;
  /** [steps] the threshold at step s (+Infinity where too few rows keep the guarantee). */
  qhat: Float64Array;
  /** [steps] calibration rows at step s. */
  rows: Int32Array;
}

export interface ConformalCalibration extends CalibrationCoverage {
  /** The miscoverage the thresholds were computed at. */
  alpha: number;
  attributes: Map<string, AttributeCalibration>;
}

/** What calibration rollouts cover, known before scoring them: per attribute its candidate count and rows per step. */
export interface CalibrationCoverage {
  attributes: Map<string, { candidates: number; rows: Int32Array }>;
}

/** One labelled calibration row: its nonconformity score 1 - p(truth | x). */
export interface CalibrationRow {
  attribute: string;
  step: number;
  candidates: number;
  score: number;
}

/** The labelled rows of one calibration rollout (every attribute has its truth: see calibrationProblem). */
export function calibrationRows(a: TokenizedAttributes, rows: CandidateRows): CalibrationRow[] {
  const K = a.names.length, steps = rows.steps.length - 1;
  const labels = Int32Array.from({ length: steps * K }, (_, i) => a.truth[i % K]);
  const scores = conformalScoresSync({ candidateLogits: rows.candidateLogits, candidates: rows.candidates, labels });
  return Array.from(scores, (score, i) => ({ attribute: a.names[i % K], step: Math.floor(i / K), candidates: a.candidates[i % K].length, score }));
}

/** The thresholds of every (attribute, step) from the rows of all calibration rollouts. */
export function calibrate(rows: CalibrationRow[], alpha: number): ConformalCalibration {
  if (!Array.isArray(rows)) throw typeError('rows', `rows must be the array calibrationScores returns, got ${describe(rows)}`);
  const byAttribute = new Map<string, CalibrationRow[]>();
  for (const [i, row] of rows.entries()) {
    const ok = row !== null && typeof row === 'object' && typeof row.attribute === 'string' && Number.isSafeInteger(row.step) && row.step >= 0 &&
      Number.isSafeInteger(row.candidates) && row.candidates >= 2 && typeof row.score === 'number';
    if (!ok) throw typeError(`rows[${i}]`, `rows[${i}] is not a calibration row ({ attribute, step, candidates, score }), got ${describe(row)}`);
    const list = byAttribute.get(row.attribute) ?? [];
    if (list.length && list[0].candidates !== row.candidates)
      throw rangeError(codes.shape, 'rows', `attribute "${row.attribute}" has ${list[0].candidates} candidates in one calibration rollout and ${row.candidates} in another`);
    list.push(row);
    byAttribute.set(row.attribute, list);
  }
  const attributes = new Map<string, AttributeCalibration>();
  for (const [name, list] of byAttribute) {
    const steps = 1 + list.reduce((m, r) => Math.max(m, r.step), 0);
    const counts = new Int32Array(steps);
    for (const r of list) counts[r.step]++;
    const groups = new Int32Array(steps + 1);
    for (let s = 0; s < steps; s++) groups[s + 1] = groups[s] + counts[s];
    const scores = Float64Array.from([...list].sort((x, y) => x.step - y.step), (r) => r.score);
    attributes.set(name, { candidates: list[0].candidates, qhat: conformalQuantileSync(scores, alpha, { groups }), rows: counts });
  }
  return { alpha, attributes };
}

/** Why a calibration rollout cannot calibrate (a missing truth), or undefined. */
export function calibrationProblem(a: TokenizedAttributes | undefined): string | undefined {
  if (!a) return 'a calibration rollout needs "attributes", "question" and "truth"';
  const missing = a.names.find((_, k) => a.truth[k] < 0);
  return missing === undefined ? undefined : `a calibration rollout needs the "truth" of every attribute; "${missing}" has none`;
}

/**
 * What tokenized calibration rollouts (each with every attribute's truth) cover, and why any of them
 * disagrees with the first on an attribute's candidate count: [index, reason] pairs.
 */
export function calibrationCoverage(tok: (TokenizedRollout | undefined)[]): { coverage: CalibrationCoverage; problems: [number, string][] } {
  if (!Array.isArray(tok)) throw typeError('tokenized', `tokenized must be an array of tokenized rollouts, got ${describe(tok)}`);
  tok.forEach((t, i) => {
    if (t !== undefined && !(t !== null && typeof t === 'object' && t.turnSpans instanceof Int32Array && (t.attributes === undefined || isTokenizedAttributes(t.attributes))))
      throw typeError(`tokenized[${i}]`, `tokenized[${i}] must be what tokenizeRollout returns, got ${describe(t)}`);
  });
  const counts = new Map<string, { candidates: number; rows: number[] }>(), problems: [number, string][] = [];
  tok.forEach((t, index) => {
    if (!t?.attributes) return;
    const a = t.attributes, steps = t.turnSpans.length / 4;
    const bad = a.names.findIndex((name, k) => counts.has(name) && counts.get(name)!.candidates !== a.candidates[k].length);
    if (bad >= 0) {
      const name = a.names[bad];
      return problems.push([index, `attribute "${name}" has ${a.candidates[bad].length} candidates; in the first calibration rollout with it, ${counts.get(name)!.candidates}`]);
    }
    a.names.forEach((name, k) => {
      const c = counts.get(name) ?? { candidates: a.candidates[k].length, rows: [] };
      for (let s = 0; s < steps; s++) c.rows[s] = (c.rows[s] ?? 0) + 1;
      counts.set(name, c);
    });
  });
  const attributes = new Map([...counts].map(([name, c]) => [name, { candidates: c.candidates, rows: Int32Array.from(c.rows) }]));
  return { coverage: { attributes }, problems };
}

/** Why a rollout cannot be scored with `c` (an attribute or a step it has no thresholds for), or undefined. */
export function calibratedProblem(a: TokenizedAttributes, steps: number, c: CalibrationCoverage): string | undefined {
  for (const [k, name] of a.names.entries()) {
    const cal = c.attributes.get(name);
    if (!cal) return `attribute "${name}" is not in the calibration rollouts`;
    if (cal.candidates !== a.candidates[k].length)
      return `attribute "${name}" has ${a.candidates[k].length} candidates; in the calibration rollouts it has ${cal.candidates}`;
    for (let s = 0; s < steps; s++)
      if (!(s < cal.rows.length && cal.rows[s] > 0))
        return `attribute "${name}" has no calibration rows at step ${s} (the start of turn ${s}); calibrate with rollouts at least as long`;
  }
  return undefined;
}

export interface CipScore {
  /** [steps] the mean prediction-set size over the step's attributes. */
  uncertainty: number[];
  /** [steps] each attribute's set size. */
  setSizes: Record<string, number>[];
  /** [steps] whether each attribute's truth is in its set (only when the rollout gives the truth of every attribute). */
  covered?: Record<string, boolean>[];
  /** [steps] uncertainty[s - 1] - uncertainty[s], earned by turn s - 1; null at s = 0. */
  gains: (number | null)[];
}

export function cipScore(a: TokenizedAttributes, rows: CandidateRows, c: ConformalCalibration): CipScore {
  const K = a.names.length, steps = rows.steps.length - 1;
  const qhat = Float64Array.from({ length: steps * K }, (_, i) => c.attributes.get(a.names[i % K])!.qhat[Math.floor(i / K)]);
  const labelled = a.truth.every((v) => v >= 0);
  const labels = labelled ? Int32Array.from({ length: steps * K }, (_, i) => a.truth[i % K]) : undefined;
  const r = predictionSetSizesSync({ ...rows, labels }, { qhat });
  const perStep = <T>(value: (i: number) => T) => Array.from({ length: steps }, (_, s) => Object.fromEntries(a.names.map((n, k) => [n, value(s * K + k)])));
  const out: CipScore = {
    uncertainty: Array.from(r.uncertainty),
    setSizes: perStep((i) => r.sizes[i]),
    gains: Array.from(r.gains, (g, s) => (r.hasGain[s] ? g : null)),
  };
  if (r.covered) out.covered = perStep((i) => r.covered![i] === 1);
  return out;
}

/** The thresholds as a table: per attribute and step, qhat and (in brackets) the rows that set it. */
export function calibrationTable(c: ConformalCalibration): string {
  const steps = [...c.attributes.values()].reduce((n, a) => Math.max(n, a.qhat.length), 0);
  const head = ['attribute', 'candidates', ...Array.from({ length: steps }, (_, s) => `step ${s}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${' --- |'.repeat(head.length)}`];
  for (const [name, a] of c.attributes)
    lines.push(`| ${name} | ${a.candidates} | ${Array.from({ length: steps }, (_, s) => (s < a.qhat.length ? `${a.qhat[s].toFixed(4)} (${a.rows[s]})` : '-')).join(' | ')} |`);
  return lines.join('\n');
}

/** The thresholds as JSON (an infinite qhat is null). */
export function calibrationJson(c: ConformalCalibration) {
  return {
    alpha: c.alpha,
    attributes: Object.fromEntries(
      [...c.attributes].map(([name, a]) => [name, { candidates: a.candidates, qhat: Array.from(a.qhat, (q) => (Number.isFinite(q) ? q : null)), rows: Array.from(a.rows) }]),
    ),
  };
}
