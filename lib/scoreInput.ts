// The input of a scoring run, shared by `infogain score` (a JSONL file) and `infogain serve` (a
// request's body): rollouts tokenized and checked against the model before any forward pass, every
// bad rollout named (its line, or its index); C-IP's calibration rollouts read and checked alike.
import { readFileSync } from 'node:fs';

import type { LogprobSource } from './model/source';
import { parseRollout, RolloutLineError, tokenizeRollout, type Rollout, type TokenizedRollout } from './rollouts';
import { UsageError } from './scoreFlags';
import { checkCalibrationRollouts, type RolloutProblem, type ScoreOptions } from './score';

/** Bad lines, each with its number and reason, as one UsageError (exit 2): nothing was scored. */
export function badLines(path: string, bad: { line: number; message: string }[]): UsageError {
  const shown = bad.slice(0, 20).map((e) => `  ${path}: ${e.message}`);
  if (bad.length > 20) shown.push(`  ... and ${bad.length - 20} more`);
  return new UsageError(`${bad.length} bad rollout line${bad.length > 1 ? 's' : ''}; nothing was scored:\n${shown.join('\n')}`);
}

/** JSONL text as rollouts and their line numbers (blank lines skipped); the bad lines, each with its reason. */
export function parseRolloutLines(text: string): { rollouts: Rollout[]; lines: number[]; bad: RolloutLineError[] } {
  const rollouts: Rollout[] = [], lines: number[] = [];
  const bad: RolloutLineError[] = [];
  text.replace(/^\uFEFF/, '').split('\n').forEach((line, i) => {  // a byte order mark (editors on Windows write one)
    try {
      const r = parseRollout(line, i + 1);
      if (r) {
        rollouts.push(r);
        lines.push(i + 1);
      }
    } catch (e) {
      if (e instanceof RolloutLineError) bad.push(e);
      else throw e;
    }
  });
  return { rollouts, lines, bad };
}

export function readRollouts(path: string): { rollouts: Rollout[]; lines: number[] } {
  const { rollouts, lines, bad } = parseRolloutLines(readFileSync(path, 'utf8'));
  if (bad.length) throw badLines(path, bad);
  if (!rollouts.length) throw new UsageError(`${path} holds no rollouts`);
  return { rollouts, lines };
}

export type Check = (rollouts: Rollout[], tokenized: TokenizedRollout[]) => RolloutProblem[];

/**
 * What fails only with the model (vocabulary, context, memory, float32 rewards, ...: `check`),
 * found before any forward pass. `tokenized` is whole only when `problems` is empty.
 */
export function tokenizeAndCheck(rollouts: Rollout[], source: LogprobSource, check: Check): { tokenized: TokenizedRollout[]; problems: RolloutProblem[] } {
  const problems: RolloutProblem[] = [];
  const tokenized = rollouts.map((r, index) => {
    try {
      return tokenizeRollout(r, source.tokenizer);
    } catch (e) {
      problems.push({ index, reason: (e as Error).message });
      return undefined;
    }
  });
  problems.push(...check(rollouts, tokenized as TokenizedRollout[]));
  problems.sort((a, b) => a.index - b.index);
  return { tokenized: tokenized as TokenizedRollout[], problems };
}

/** tokenizeAndCheck of a file's rollouts: the problems as one UsageError naming their lines. */
export function tokenizeFile(path: string, rollouts: Rollout[], lines: number[], source: LogprobSource, check: Check): TokenizedRollout[] {
  const { tokenized, problems } = tokenizeAndCheck(rollouts, source, check);
  if (problems.length) throw badLines(path, problems.map((p) => ({ line: lines[p.index], message: `line ${lines[p.index]} (id ${JSON.stringify(rollouts[p.index].id)}): ${p.reason}` })));
  return tokenized;
}

/** C-IP's calibration rollouts, read and checked like the input (exit 2 naming their lines) before any forward pass. */
export function readCalibration(path: string, source: LogprobSource, o: ScoreOptions): TokenizedRollout[] {
  const { rollouts, lines } = readRollouts(path);
  return tokenizeFile(path, rollouts, lines, source, (rs, tk) => checkCalibrationRollouts(rs, tk, source, o));
}
