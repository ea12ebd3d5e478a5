// One request's scoring job: its rollouts checked (the library's rollout check, then tokenized and
// checked against the model: every problem named by index, and line for a JSONL body) before any
// forward pass, scored a batch at a time with the request's AbortSignal, then finished together
// (group advantages are normalized within the request's groups) into the CLI's output records.
import { engineScoringProblem } from '../engines/source';
import { isEngineSource } from '../model/open';
import type { LogprobSource } from '../model/source';
import { type Rollout, rolloutFromJson, rolloutProblem } from '../rollouts';
import { checkRollouts, finishScores, type RolloutScore, type ScoreOptions } from '../score';
import { defaultPearDelimiter } from '../scoreFlags';
import type { PearOptions } from '../rewards/pear';
import { tokenizeAndCheck } from '../scoreInput';
import { scoreInChunks } from '../scoreLoop';
import { HttpError, serveCodes } from './errors';
import type { RequestOptions } from './schemas';

export interface Scoring {
  source: LogprobSource;
  /** The server's options (its flags; C-IP's thresholds when calibrated at start). */
  options: ScoreOptions;
  batchSize: number;
}

/** Most problems listed in one answer (the count is in the message). */
const listed = 20;

function problemsError(problems: { index: number; line?: number; message: string }[]): HttpError {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more bad rollout${problems.length > 2 ? 's' : ''}; nothing was scored)` : '; nothing was scored';
  return new HttpError(400, serveCodes.rollout, `${first.message}${more}`, { index: first.index, ...(first.line === undefined ? {} : { line: first.line }), problems: problems.slice(0, listed) });
}

const where = (index: number, lines?: number[]) => (lines ? `line ${lines[index]}` : `rollouts[${index}]`);

/** The request's rollouts as Rollouts (a default id from their place); every one that is not a rollout is named in one 400. */
export function requestRollouts(raw: unknown[], lines?: number[]): Rollout[] {
  const problems: { index: number; line?: number; message: string }[] = [];
  const rollouts = raw.map((v, index) => {
    const problem = rolloutProblem(v);
    if (problem) problems.push({ index, ...(lines ? { line: lines[index] } : {}), message: `${where(index, lines)}: ${problem}` });
    return problem ? undefined : rolloutFromJson(v, lines ? `line ${lines[index]}` : `rollouts[${index}]`);
  });
  if (problems.length) throw problemsError(problems);
  return rollouts as Rollout[];
}

/** The server's options with the request's on top; what the source cannot score is a 400. */
export function requestOptions(s: Scoring, asked: RequestOptions | undefined): ScoreOptions {
  const o = { ...s.options, ...(asked as Partial<ScoreOptions>) };
  // pear's keys one by one: a request's { alpha } keeps the server's delimiter and beta
  if (asked?.pear) o.pear = { delimiter: defaultPearDelimiter, ...s.options.pear, ...(asked.pear as Partial<PearOptions>) } as PearOptions;
  if (o.rewards?.includes('cip') && !s.options.conformal)
    throw new HttpError(400, 'ERR_OUT_OF_RANGE', "the reward 'cip' needs C-IP's thresholds: start the server with --reward cip --calibration FILE");
  if (isEngineSource(s.source)) {
    const problem = engineScoringProblem(o, s.source.engine);
    if (problem) throw new HttpError(400, 'ERR_OUT_OF_RANGE', `${s.source.engine}: ${problem}`);
  }
  return o;
}

/**
 * The records of `rollouts` (in order), as `infogain score` writes them. A problem is named by the
 * rollout's line (JSONL), else its place and id; `/get_reward` names its query instead (`label`).
 */
export async function scoreRollouts(s: Scoring, rollouts: Rollout[], o: ScoreOptions, signal: AbortSignal, lines?: number[], label?: (index: number) => string): Promise<RolloutScore[]> {
  if (!rollouts.length) return [];
  const { tokenized, problems } = tokenizeAndCheck(rollouts, s.source, (rs, tk) => checkRollouts(rs, tk, s.source, o));
  const name = (i: number) => label?.(i) ?? `${where(i, lines)} (id ${JSON.stringify(rollouts[i].id)})`;
  if (problems.length)
    throw problemsError(problems.map((p) => ({ index: p.index, ...(lines ? { line: lines[p.index] } : {}), message: `${name(p.index)}: ${p.reason}` })));
  const scored = await scoreInChunks(tokenized, s.source, o, { batchSize: s.batchSize, signal });
  return finishScores(rollouts, scored, o);
}
