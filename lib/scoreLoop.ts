// The scoring loop of `infogain score` and `infogain serve`: tokenized rollouts scored a chunk at a
// time (the batch size), so a run can stop between chunks (the CLI's SIGINT, `stop`) and a caller
// can abort within one (`signal`, checked between forward passes: a service client that left).
import { throwIfAborted } from './errors';
import type { LogprobSource } from './model/source';
import type { TokenizedRollout } from './rollouts';
import { calibrate, type ConformalCalibration } from './rewards/cip';
import { calibrationScores, type Scored, type ScoreOptions, scoreTokenized } from './score';

export interface LoopOptions {
  /** Rollouts per chunk. */
  batchSize: number;
  /** Aborts the chunk in progress (ABORT_ERR). */
  signal?: AbortSignal;
  /** Asked before each chunk: true ends the loop with what is scored so far. */
  stop?: () => boolean;
  /** Told the rollouts done after each chunk. */
  onChunk?: (done: number) => void;
}

/** The rollouts' scores in order; fewer when `stop` said so. */
export async function scoreInChunks(tokenized: TokenizedRollout[], source: LogprobSource, o: ScoreOptions, loop: LoopOptions): Promise<Scored[]> {
  const chunk = Math.max(1, loop.batchSize);
  const scored: Scored[] = [];
  for (let i = 0; i < tokenized.length && !loop.stop?.(); i += chunk) {
    throwIfAborted(loop.signal);
    scored.push(...(await scoreTokenized(tokenized.slice(i, i + chunk), source, o, loop.signal ? { signal: loop.signal } : undefined)));
    loop.onChunk?.(scored.length);
  }
  return scored;
}

/** C-IP's thresholds from the calibration rollouts, and how many were scored (undefined thresholds when `stop` ended it early). */
export async function calibrateInChunks(calibration: TokenizedRollout[], source: LogprobSource, o: ScoreOptions, alpha: number, loop: LoopOptions): Promise<{ conformal?: ConformalCalibration; calibrated: number }> {
  const chunk = Math.max(1, loop.batchSize);
  const rows = [];
  let calibrated = 0;
  for (; calibrated < calibration.length && !loop.stop?.(); calibrated = Math.min(calibrated + chunk, calibration.length)) {
    throwIfAborted(loop.signal);
    rows.push(...(await calibrationScores(calibration.slice(calibrated, calibrated + chunk), source, { temperature: o.temperature })));
    loop.onChunk?.(Math.min(calibrated + chunk, calibration.length));
  }
  return { conformal: calibrated === calibration.length ? calibrate(rows, alpha) : undefined, calibrated };
}
