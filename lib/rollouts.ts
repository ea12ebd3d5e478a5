// The rollout schema the CLI reads (one JSON object per line) and its validation. A bad line is
// reported with its number and reason; nothing is silently dropped.
//
//   { "id"?: string, "group": string | safe integer, "prompt"?: Text, "turns": [{ "action": Text,
//     "observation"?: Text }, ...], "reward": number, "groundTruth"?: Text, "meta"?: any,
//     "attributes"?: { name: [Text, ...] }, "question"?: Text | { name: Text },
//     "truth"?: { name: Text | index } }
//   Text = a string (tokenized by the scorer's tokenizer) or an array of token ids.
//   The attribute fields (Nous, C-IP) are checked in rewards/attributes.ts.
//
// A group is its JSON value: 1 and 1.0 are one group (the same JSON number), "1" another; the
// output carries it with its type.
//
// The token sequence is prompt + action_1 + observation_1 + action_2 + ... ; each piece is
// tokenized on its own, so span boundaries are exact (a BPE tokenizer may split the joined text
// differently; byte-level tokenizers do not).
import { codes, describe, typeError } from './errors';
import { type AttributeFields, attributesProblem, type TokenizedAttributes, tokenizeAttributes } from './rewards/attributes';
import { isText, type Text } from './text';
import type { TextTokenizer } from './tokenizer';

export type { Text };

export interface Turn {
  action: Text;
  observation?: Text;
}

/** A group id as the input gave it: a string, or an integer (|n| <= 2^53 - 1, so that JSON keeps it exact). */
export type GroupId = string | number;

export interface Rollout extends AttributeFields {
  id: string;
  group: GroupId;
  prompt: Text;
  turns: Turn[];
  reward: number;
  groundTruth?: Text;
  meta?: unknown;
}

export class RolloutLineError extends Error {
  readonly code = codes.rollout;
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${typeof line === 'number' ? line : describe(line)}: ${typeof reason === 'string' ? reason : describe(reason)}`);
    this.name = 'RolloutLineError';
  }
}

const allowed = new Set(['id', 'group', 'prompt', 'turns', 'reward', 'groundTruth', 'meta', 'attributes', 'question', 'truth']);

/** Why `v` is not a rollout (as parsed from one JSON line), or undefined when it is one. */
export function rolloutProblem(v: unknown, fieldsOnly = true): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a rollout must be a JSON object';
  const r = v as Record<string, unknown>;
  if (fieldsOnly) for (const k of Object.keys(r)) if (!allowed.has(k)) return `unknown field "${k}" (allowed: ${[...allowed].join(', ')})`;
  if (!(typeof r.group === 'string' || Number.isSafeInteger(r.group)))
    return '"group" must be a string or an integer of at most 2^53 - 1 in magnitude (quote larger ids)';
  if (r.id !== undefined && typeof r.id !== 'string') return '"id" must be a string';
  if (r.prompt !== undefined && !isText(r.prompt)) return '"prompt" must be a string or an array of token ids';
  if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) return '"reward" must be a finite number';
  if (r.groundTruth !== undefined && (!isText(r.groundTruth) || r.groundTruth.length === 0))
    return '"groundTruth" must be a non-empty string or array of token ids';
  if (!Array.isArray(r.turns) || r.turns.length === 0) return '"turns" must be a non-empty array';
  for (const [i, t] of r.turns.entries()) {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return `turns[${i}] must be an object`;
    const turn = t as Record<string, unknown>;
    for (const k of Object.keys(turn)) if (k !== 'action' && k !== 'observation') return `turns[${i}] has an unknown field "${k}"`;
    if (!isText(turn.action) || turn.action.length === 0) return `turns[${i}].action must be a non-empty string or array of token ids`;
    if (turn.observation !== undefined && !isText(turn.observation)) return `turns[${i}].observation must be a string or an array of token ids`;
  }
  return attributesProblem(r);
}

/** Parses and validates one line; throws RolloutLineError. Blank lines return undefined. */
export function parseRollout(text: string, line: number): Rollout | undefined {
  if (typeof text !== 'string') throw typeError('text', `text must be one line of JSONL (a string), got ${describe(text)}`);
  if (!Number.isSafeInteger(line)) throw typeError('line', `line must be the line number (an integer), got ${describe(line)}`);
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RolloutLineError(line, `not JSON (${(e as Error).message})`);
  }
  const problem = rolloutProblem(v);
  if (problem) throw new RolloutLineError(line, problem);
  return rolloutFromJson(v, `line ${line}`);
}

/** A JSON value rolloutProblem accepts, as a Rollout: `defaultId` where it has no id, an empty prompt where none. */
export function rolloutFromJson(v: unknown, defaultId: string): Rollout {
  const r = v as Record<string, unknown>;
  return {
    id: (r.id as string | undefined) ?? defaultId,
    group: r.group as GroupId,
    prompt: (r.prompt as Text | undefined) ?? '',
    turns: r.turns as Turn[],
    reward: r.reward as number,
    groundTruth: r.groundTruth as Text | undefined,
    meta: r.meta,
    ...(r.attributes === undefined ? {} : { attributes: r.attributes, question: r.question, truth: r.truth } as AttributeFields),
  };
}

/** A rollout as token ids, with every turn's spans: [actionStart, actionEnd, obsStart, obsEnd] per turn. */
export interface TokenizedRollout {
  ids: Int32Array;
  turnSpans: Int32Array;
  groundTruth?: Int32Array;
  /** The attributes (Nous, C-IP), when the rollout names them. */
  attributes?: TokenizedAttributes;
}

export function tokenizeRollout(r: Rollout, tokenizer: TextTokenizer): TokenizedRollout {
  checkRollout(r, 'rollout');
  if (tokenizer === null || typeof tokenizer !== 'object' || typeof tokenizer.encode !== 'function')
    throw typeError('tokenizer', `tokenizer must be a TextTokenizer (an object with encode()), got ${describe(tokenizer)}`);
  const enc = (t: Text) => (typeof t === 'string' ? tokenizer.encode(t) : Int32Array.from(t));
  const pieces: Int32Array[] = [enc(r.prompt ?? '')];
  const turnSpans = new Int32Array(4 * r.turns.length);
  let at = pieces[0].length;
  r.turns.forEach((t, i) => {
    const action = enc(t.action), obs = t.observation === undefined ? new Int32Array(0) : enc(t.observation);
    turnSpans.set([at, at + action.length, at + action.length, at + action.length + obs.length], 4 * i);
    at += action.length + obs.length;
    pieces.push(action, obs);
  });
  const ids = new Int32Array(at);
  let o = 0;
  for (const p of pieces) {
    ids.set(p, o);
    o += p.length;
  }
  const out: TokenizedRollout = { ids, turnSpans, groundTruth: r.groundTruth === undefined ? undefined : enc(r.groundTruth) };
  const attributes = tokenizeAttributes(r, enc);
  if (attributes) out.attributes = attributes;
  return out;
}

/** A Rollout object (as parseRollout returns, or built by the caller): ERR_INVALID_ARG_TYPE naming what is wrong. */
export function checkRollout(value: unknown, name: string): asserts value is Rollout {
  const problem = rolloutProblem(value, false);
  if (problem) throw typeError(name, `${name} is not a rollout: ${problem}`);
}
