// The rollout schema the CLI reads (one JSON object per line) and its validation. A bad line is
// reported with its number and reason; nothing is silently dropped.
//
//   { "id"?: string, "group": string | integer, "prompt"?: Text, "turns": [{ "action": Text,
//     "observation"?: Text }, ...], "reward": number, "groundTruth"?: Text, "meta"?: any }
//   Text = a string (tokenized by the scorer's tokenizer) or an array of token ids.
//
// The token sequence is prompt + action_1 + observation_1 + action_2 + ... ; each piece is
// tokenized on its own, so span boundaries are exact (a BPE tokenizer may split the joined text
// differently; byte-level tokenizers do not).
import type { TextTokenizer } from './tokenizer';

export type Text = string | number[];

export interface Turn {
  action: Text;
  observation?: Text;
}

export interface Rollout {
  id: string;
  group: string;
  prompt: Text;
  turns: Turn[];
  reward: number;
  groundTruth?: Text;
  meta?: unknown;
}

export class RolloutLineError extends Error {
  readonly code = 'ERR_INFOGAIN_ROLLOUT';
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'RolloutLineError';
  }
}

const allowed = new Set(['id', 'group', 'prompt', 'turns', 'reward', 'groundTruth', 'meta']);

function isText(v: unknown): v is Text {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31));
}

/** Parses and validates one line; throws RolloutLineError. Blank lines return undefined. */
export function parseRollout(text: string, line: number): Rollout | undefined {
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RolloutLineError(line, `not JSON (${(e as Error).message})`);
  }
  const bad = (reason: string) => new RolloutLineError(line, reason);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('a rollout must be a JSON object');
  const r = v as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!allowed.has(k)) throw bad(`unknown field "${k}" (allowed: ${[...allowed].join(', ')})`);
  if (!(typeof r.group === 'string' || Number.isInteger(r.group))) throw bad('"group" must be a string or an integer');
  if (r.id !== undefined && typeof r.id !== 'string') throw bad('"id" must be a string');
  if (r.prompt !== undefined && !isText(r.prompt)) throw bad('"prompt" must be a string or an array of token ids');
  if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) throw bad('"reward" must be a finite number');
  if (r.groundTruth !== undefined && (!isText(r.groundTruth) || r.groundTruth.length === 0))
    throw bad('"groundTruth" must be a non-empty string or array of token ids');
  if (!Array.isArray(r.turns) || r.turns.length === 0) throw bad('"turns" must be a non-empty array');
  r.turns.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw bad(`turns[${i}] must be an object`);
    const turn = t as Record<string, unknown>;
    for (const k of Object.keys(turn)) if (k !== 'action' && k !== 'observation') throw bad(`turns[${i}] has an unknown field "${k}"`);
    if (!isText(turn.action) || turn.action.length === 0) throw bad(`turns[${i}].action must be a non-empty string or array of token ids`);
    if (turn.observation !== undefined && !isText(turn.observation)) throw bad(`turns[${i}].observation must be a string or an array of token ids`);
  });
  return {
    id: (r.id as string | undefined) ?? `line ${line}`,
    group: String(r.group),
    prompt: (r.prompt as Text | undefined) ?? '',
    turns: r.turns as Turn[],
    reward: r.reward,
    groundTruth: r.groundTruth as Text | undefined,
    meta: r.meta,
  };
}

/** A rollout as token ids, with every turn's spans: [actionStart, actionEnd, obsStart, obsEnd] per turn. */
export interface TokenizedRollout {
  ids: Int32Array;
  turnSpans: Int32Array;
  groundTruth?: Int32Array;
}

export function tokenizeRollout(r: Rollout, tokenizer: TextTokenizer): TokenizedRollout {
  const enc = (t: Text) => (typeof t === 'string' ? tokenizer.encode(t) : Int32Array.from(t));
  const pieces: Int32Array[] = [enc(r.prompt)];
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
  return { ids, turnSpans, groundTruth: r.groundTruth === undefined ? undefined : enc(r.groundTruth) };
}
