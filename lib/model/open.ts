// One way in to every backend of the scorer: `openSource({ backend, ... })` returns the
// LogprobSource the scoring loop reads (an ONNX model run here, or the model a serving engine
// already serves). `infogain score` selects with --backend; other front ends can do the same.
import { SglangSource, type SglangSourceOptions } from '../engines/sglang';
import { type EngineSource } from '../engines/source';
import { VllmSource, type VllmSourceOptions } from '../engines/vllm';
import { describe, rangeError, codes, typeError } from '../errors';
import { OnnxScorer, type OnnxScorerOptions } from '../scorer';
import type { LogprobSource } from './source';

export const sourceBackends = ['onnx', 'sglang', 'vllm'] as const;
export type SourceBackend = (typeof sourceBackends)[number];

export type OpenSourceOptions =
  | ({ backend?: 'onnx' } & OnnxScorerOptions)
  | ({ backend: 'sglang' } & SglangSourceOptions)
  | ({ backend: 'vllm' } & VllmSourceOptions);

/**
 * The LogprobSource of `backend` (default 'onnx'), the other keys being that backend's options
 * (OnnxScorer.create, SglangSource.create, VllmSource.create: each rejects keys it does not know).
 */
export async function openSource(options?: OpenSourceOptions): Promise<LogprobSource> {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options)))
    throw typeError('options', `options must be an object, got ${describe(options)}`);
  const { backend = 'onnx', ...rest } = (options ?? {}) as { backend?: unknown };
  if (!(sourceBackends as readonly unknown[]).includes(backend))
    throw (typeof backend === 'string' ? rangeError.bind(null, codes.outOfRange) : typeError)('backend', `backend must be one of ${sourceBackends.map((b) => `'${b}'`).join(', ')}, got ${describe(backend)}`);
  if (backend === 'sglang') return SglangSource.create(rest as SglangSourceOptions);
  if (backend === 'vllm') return VllmSource.create(rest as VllmSourceOptions);
  return OnnxScorer.create(rest as OnnxScorerOptions);
}

/** Whether `source` is a serving engine's (its accounting differs from a model run here). */
export function isEngineSource(source: LogprobSource): source is EngineSource {
  return source !== null && typeof source === 'object' && typeof (source as Partial<EngineSource>).engine === 'string' && 'engineStats' in source;
}
