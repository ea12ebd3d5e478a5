// infogain: native kernels for information-gain rewards in RL for LLM agents.
export { backends, configure } from './backend';
export type { BackendOption, BackendsInfo, ConfigureOptions } from './backend';
export { type DType, fromBFloat16, fromFloat16, toBFloat16, toFloat16, toFloat32 } from './dtype';
export { codes } from './errors';
export type { ErrorCode, InfogainErrorFields } from './errors';
export type { Logits, LogitsInput, TensorLike } from './logits';
export { tokenLogprobs, tokenLogprobsSync } from './logprobs';
export type { TokenLogprobsOptions, TokenLogprobsResult } from './logprobs';
export { linearKL, linearKLSync, linearLogprobs, linearLogprobsSync } from './linearHead';
export type { HeadWeight, HeadWeightInput, Hidden, HiddenInput, LinearHeadOptions, LinearKLOptions, LinearLogprobsOptions } from './linearHead';
export { createRewardPool } from './pool';
export type { CallOptions, PoolStats, RewardCalls, RewardPool, RewardPoolOptions } from './pool';
export { poolKernels } from './pool/kernels';
export type { PoolKernel } from './pool/kernels';
export { groupAdvantages, groupAdvantagesSync, rlpAdvantages, rlpAdvantagesSync } from './advantages';
export type { AdvantageEstimator, GroupAdvantagesOptions, GroupAdvantagesResult, RlpAdvantagesResult } from './advantages';
export type { GroupStatistics, Grouping, TokenLayout } from './grouping';
export { broadcastToTokens, broadcastToTokensSync, promedAdvantages, promedAdvantagesSync, reinforcePP, reinforcePPSync } from './tokenAdvantages';
export type { PromedInput, PromedResult, ReinforcePPOptions, ReinforcePPResult } from './tokenAdvantages';
export { infopoAdvantages, infopoAdvantagesSync } from './infopo';
export type { InfopoInput, InfopoOptions, InfopoResult } from './infopo';
export { igpoAdvantages, igpoAdvantagesSync } from './igpo';
export type { IgpoInput, IgpoOptions, IgpoResult } from './igpo';
export {
  clipDeltaRewards,
  clipDeltaRewardsSync,
  empgAdvantages,
  empgAdvantagesSync,
  insightScores,
  insightScoresSync,
  parRewards,
  parRewardsSync,
  sarRewards,
  sarRewardsSync,
} from './rewardShaping';
export type { ClipDeltaOptions, EmpgInput, EmpgOptions, EmpgResult, InsightOptions, InsightResult, ParInput, ParOptions, SarOptions } from './rewardShaping';
export { directions, klDivergence, klDivergenceSync } from './klDivergence';
export type { Direction, DivergenceResult, KLDivergenceOptions } from './klDivergence';
export { logRatio, logRatioSync } from './logRatio';
export type { KLEstimator, LogRatioOptions } from './logRatio';
export { topkKL, topkKLSync } from './topkKL';
export type { TopkKLOptions, TopkSide } from './topkKL';
export { maskFeedback } from './maskFeedback';
export { infoGain, infoGainSync, scoredSpans } from './infoGain';
export type { InfoGainInput, InfoGainResult, Turns } from './infoGain';
export { beliefGain, beliefGainSync } from './beliefGain';
export type { BeliefGainInput, BeliefGainResult } from './beliefGain';
export { beliefEntropyGain, beliefEntropyGainSync } from './beliefEntropy';
export type { BeliefEntropyInput, BeliefEntropyOptions, BeliefEntropyResult } from './beliefEntropy';
export type { CandidateGroups } from './candidates';
export {
  conformalQuantile,
  conformalQuantileSync,
  conformalScores,
  conformalScoresSync,
  predictionSetSizes,
  predictionSetSizesSync,
} from './conformal';
export type {
  CandidateRows,
  ConformalQuantileOptions,
  ConformalScoresInput,
  PredictionSetInput,
  PredictionSetOptions,
  PredictionSetResult,
  TemperatureOptions,
} from './conformal';
export { phaseEntropyRewards, phaseEntropyRewardsSync } from './phaseEntropy';
export type { PhaseEntropyInput, PhaseEntropyOptions, PhaseEntropyResult } from './phaseEntropy';
export type { Reduce, SpanOptions } from './spans';
export { shapleyExact, shapleyExactSync, maxExactPlayers } from './shapleyExact';
export type { SemivalueIndex, ShapleyExactOptions } from './shapleyExact';
export { ShapleyEstimator, shapley, shapleyMethods } from './shapleyEstimator';
export type {
  PromedReferenceOptions,
  ShapleyEstimate,
  ShapleyEstimatorOptions,
  ShapleyMethod,
  ShapleyOptions,
  SizeDistribution,
  ValueFunction,
} from './shapleyEstimator';
export { newlyAcquiredGains, questionGains, shapleyWeights } from './promed';
export type { QuestionGainsOptions, ShapleyWeightsOptions } from './promed';
export { OnnxScorer, bundledModel } from './scorer';
export type { OnnxScorerOptions, Spans } from './scorer';
export type { Branch, LogprobSource, PrefixTree, SourceStats, TreeRequest, TreeResult, TreeSpan } from './model/source';
export type { ModelLayout } from './model/layout';
export { isEngineSource, openSource, sourceBackends } from './model/open';
export type { OpenSourceOptions, SourceBackend } from './model/open';
export { SglangSource } from './engines/sglang';
export type { SglangSourceOptions } from './engines/sglang';
export { VllmSource } from './engines/vllm';
export type { VllmSourceOptions } from './engines/vllm';
export { engineScoringProblem } from './engines/source';
export type { EngineSource, EngineSourceOptions, EngineStats, TokenizerCheck } from './engines/source';
export { byteTokenizer, loadTokenizer } from './tokenizer';
export type { TextTokenizer } from './tokenizer';
export { parseRollout, tokenizeRollout, RolloutLineError } from './rollouts';
export type { Rollout, Text, TokenizedRollout, Turn } from './rollouts';
export {
  calibrationScores, checkCalibrationRollouts, checkRollouts, defaultRewards, defaultScoreOptions, finishScores, rewardNames, rolloutTree, scoreChunk,
  scoreTokenized,
} from './score';
export type { Reward, RolloutProblem, RolloutScore, ScoreOptions, TurnScore } from './score';
export type { AttributeFields, TokenizedAttributes } from './rewards/attributes';
export { calibrate, calibrationCoverage } from './rewards/cip';
export type { AttributeCalibration, CalibrationCoverage, CalibrationRow, CipScore, ConformalCalibration } from './rewards/cip';
export type { NousScore } from './rewards/nous';
export type { PearOptions, PearScore } from './rewards/pear';
