// infogain: native kernels for information-gain rewards in RL for LLM agents.
export { backends, configure } from './backend';
export type { BackendOption, BackendsInfo, ConfigureOptions } from './backend';
export { type DType, fromBFloat16, fromFloat16, toBFloat16, toFloat16, toFloat32 } from './dtype';
export { codes } from './errors';
export type { ErrorCode, InfogainErrorFields } from './errors';
export type { Logits, LogitsInput, TensorLike } from './logits';
export { tokenLogprobs, tokenLogprobsSync } from './logprobs';
export type { TokenLogprobsOptions, TokenLogprobsResult } from './logprobs';
export { shapleyExact, shapleyExactSync, maxExactPlayers } from './shapley';
export type { SemivalueIndex, ShapleyExactOptions } from './shapley';
export { ShapleyEstimator, shapley, shapleyMethods } from './shapley-estimator';
export type {
  PromedReferenceOptions,
  ShapleyEstimate,
  ShapleyEstimatorOptions,
  ShapleyMethod,
  ShapleyOptions,
  SizeDistribution,
  ValueFunction,
} from './shapley-estimator';
export { newlyAcquiredGains, questionGains, shapleyWeights } from './promed';
export type { QuestionGainsOptions, ShapleyWeightsOptions } from './promed';
