// Attributes of a task (Nous, C-IP): a rollout may name them, each with its candidate values, a
// question that reads the model's belief about it, and, optionally, the true value. At every step
// (the start of each action: the prior, then after each observation) the log-prob of each
// candidate's text after context + question is one candidate logit; a step's beliefs are then
// softmaxes over each attribute's candidates. The log-probs come from prefix-tree branches at the
// start of each action, like IGPO's beliefs.
import type { LogprobSource, PrefixTree, TreeSpan } from '../model/source';
import { typedArrayKind } from '../errors';
import { isText, sameText, type Text } from '../text';

/** The rollout fields this module reads. */
export interface AttributeFields {
  /** Attribute name -> its candidate values (at least two, distinct). */
  attributes?: Record<string, Text[]>;
  /** What comes between the context and a candidate: one Text (a string's `{attribute}` is replaced by the name) or one per attribute. */
  question?: Text | Record<string, Text>;
  /** Attribute name -> the true value: an index into its candidates, or a Text equal to one of them. */
  truth?: Record<string, Text | number>;
}

/** A rollout's attributes as token ids, in the order of `attributes`' keys. */
export interface TokenizedAttributes {
  names: string[];
  /** Per attribute: the question's ids. */
  questions: Int32Array[];
  /** Per attribute: each candidate's ids. */
  candidates: Int32Array[][];
  /** Per attribute: the index of the true candidate, -1 where not given. */
  truth: Int32Array;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The index a truth value names among `candidates`, or -1. */
function truthIndex(value: Text | number, candidates: Text[]): number {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value < candidates.length ? value : -1;
  return candidates.findIndex((c) => sameText(c, value));
}

/** Why the attribute fields of a rollout are wrong, or undefined (also when it has none). */
export function attributesProblem(r: Record<string, unknown>): string | undefined {
  if (r.attributes === undefined) {
    for (const k of ['question', 'truth']) if (r[k] !== undefined) return `"${k}" needs "attributes"`;
    return undefined;
  }
  if (!isObject(r.attributes) || Object.keys(r.attributes).length === 0)
    return '"attributes" must be an object of attribute name -> [candidate values]';
  const attributes = r.attributes as Record<string, Text[]>;
  for (const [name, list] of Object.entries(attributes as Record<string, unknown>)) {
    const at = `attributes.${name}`;
    if (!Array.isArray(list) || list.length < 2) return `"${at}" must be an array of at least two candidate values`;
    for (const [i, c] of list.entries()) {
      if (!isText(c) || c.length === 0) return `"${at}"[${i}] must be a non-empty string or array of token ids`;
      const first = list.findIndex((d) => isText(d) && sameText(d, c));
      if (first < i) return `"${at}"[${i}] repeats "${at}"[${first}]`;
    }
  }
  const names = Object.keys(attributes);
  if (r.question === undefined) return '"attributes" need a "question": what comes between the context and a candidate value';
  if (isObject(r.question)) {
    for (const name of names) if (!(name in r.question)) return `"question" has no entry for attribute "${name}"`;
    for (const [name, q] of Object.entries(r.question)) {
      if (!names.includes(name)) return `"question.${name}" names no attribute`;
      if (!isText(q) || q.length === 0) return `"question.${name}" must be a non-empty string or array of token ids`;
    }
  } else if (!isText(r.question) || r.question.length === 0) {
    return '"question" must be a non-empty string or array of token ids, or an object with one per attribute';
  }
  if (r.truth !== undefined) {
    if (!isObject(r.truth)) return '"truth" must be an object of attribute name -> true value';
    for (const [name, v] of Object.entries(r.truth)) {
      if (!names.includes(name)) return `"truth.${name}" names no attribute`;
      if (!(typeof v === 'number' || isText(v))) return `"truth.${name}" must be an index into the candidates or a candidate value`;
      if (truthIndex(v, attributes[name]) < 0)
        return typeof v === 'number'
          ? `"truth.${name}" = ${v} is not an index into its ${attributes[name].length} candidates`
          : `"truth.${name}" is none of "attributes.${name}"`;
    }
  }
  return undefined;
}

/** The attribute fields as token ids (`enc` tokenizes a Text); undefined when the rollout has none. Assumes attributesProblem passed. */
export function tokenizeAttributes(r: AttributeFields, enc: (t: Text) => Int32Array): TokenizedAttributes | undefined {
  if (!r.attributes) return undefined;
  const names = Object.keys(r.attributes);
  const question = r.question!;
  const questionOf = (name: string): Text =>
    isObject(question) ? (question as Record<string, Text>)[name] : typeof question === 'string' ? question.replaceAll('{attribute}', name) : question;
  return {
    names,
    questions: names.map((n) => enc(questionOf(n))),
    candidates: names.map((n) => r.attributes![n].map(enc)),
    truth: Int32Array.from(names, (n) => (r.truth && n in r.truth ? truthIndex(r.truth[n], r.attributes![n]) : -1)),
  };
}

/** The shape of TokenizedAttributes (the ids themselves are checked by the source's plan). */
export function isTokenizedAttributes(a: unknown): a is TokenizedAttributes {
  const x = a as Partial<TokenizedAttributes> | null;
  if (x === null || typeof x !== 'object' || !Array.isArray(x.names) || !Array.isArray(x.questions) || !Array.isArray(x.candidates)) return false;
  const K = x.names.length;
  return K > 0 && x.questions.length === K && x.candidates.length === K && typedArrayKind(x.truth) === 'Int32Array' && x.truth!.length === K &&
    x.questions.every((q) => typedArrayKind(q) === 'Int32Array' && q.length > 0) &&
    x.candidates.every((list, k) => Array.isArray(list) && list.length > 0 && list.every((c) => typedArrayKind(c) === 'Int32Array' && c.length > 0) && x.truth![k] < list.length);
}

/** Every Text of the attribute fields with its name in messages, for the vocabulary check. */
export function attributeTexts(r: AttributeFields): [string, Text][] {
  if (!r.attributes) return [];
  const texts: [string, Text][] = [];
  for (const [name, list] of Object.entries(r.attributes)) list.forEach((c, i) => texts.push([`attributes.${name}[${i}]`, c]));
  if (isObject(r.question)) for (const [name, q] of Object.entries(r.question as Record<string, Text>)) texts.push([`question.${name}`, q]);
  else if (r.question !== undefined) texts.push(['question', r.question as Text]);
  return texts;
}

/**
 * The branches that read the beliefs of one rollout, added to `tree`: at the start of every action
 * s, for every attribute k and candidate c, question_k + candidate_c; the returned spans score the
 * candidate's tokens, in the order step, attribute, candidate.
 */
export function attributeBranches(a: TokenizedAttributes, actionStarts: Int32Array, tree: PrefixTree): TreeSpan[] {
  const spans: TreeSpan[] = [];
  for (const at of actionStarts)
    a.names.forEach((_, k) => {
      const q = a.questions[k];
      for (const c of a.candidates[k]) {
        const ids = new Int32Array(q.length + c.length);
        ids.set(q);
        ids.set(c, q.length);
        tree.branches.push({ at, ids });
        spans.push({ sequence: tree.branches.length - 1, start: at + q.length, end: at + ids.length });
      }
    });
  return spans;
}

/** Log-prob tokens the attribute branches of `steps` steps ask for (the length of their section of the result). */
export function attributeTokens(a: TokenizedAttributes, steps: number): number {
  let n = 0;
  for (const list of a.candidates) for (const c of list) n += c.length;
  return n * steps;
}

/** One rollout's candidate logits: the rows of every (step, attribute), packed step-major, as the Nous and C-IP kernels take them. */
export interface CandidateRows {
  /** Per candidate: the sum of its tokens' log-probs (the sequence log-prob of its text). */
  candidateLogits: Float32Array;
  /** [steps * attributes + 1] offsets into candidateLogits: row (s, k) is entry s * attributes + k. */
  candidates: Int32Array;
  /** [steps + 1] offsets into the rows: the attributes of each step. */
  steps: Int32Array;
}

/** Sums the candidates' token log-probs (in attributeBranches' order) into candidate logits. */
export function candidateRows(a: TokenizedAttributes, steps: number, logprobs: Float32Array): CandidateRows {
  const K = a.names.length, perStep = a.candidates.reduce((n, list) => n + list.length, 0);
  const candidateLogits = new Float32Array(steps * perStep);
  const candidates = new Int32Array(steps * K + 1), stepOffsets = new Int32Array(steps + 1);
  let token = 0, value = 0, row = 0;
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < K; k++) {
      for (const c of a.candidates[k]) {
        let sum = 0;  // float64: a long candidate's sum loses nothing before the one rounding
        for (let j = 0; j < c.length; j++) sum += logprobs[token++];
        candidateLogits[value++] = sum;
      }
      candidates[++row] = value;
    }
    stepOffsets[s + 1] = row;
  }
  return { candidateLogits, candidates, steps: stepOffsets };
}

/** Why the attribute branches of a rollout cannot be scored (the longest one against the model's context), or undefined. */
export function attributesLengthProblem(a: TokenizedAttributes, lastActionStart: number, source: LogprobSource): string | undefined {
  const context = source.maxLength;
  if (context === undefined) return undefined;
  let longest = 0;
  a.names.forEach((_, k) => {
    for (const c of a.candidates[k]) longest = Math.max(longest, a.questions[k].length + c.length);
  });
  const n = lastActionStart + longest;
  return n > context
    ? `the longest attribute sequence of its last step (context + question + candidate) is ${n} tokens long; the model reads at most ${context}`
    : undefined;
}
