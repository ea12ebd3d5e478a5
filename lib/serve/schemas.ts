// JSON schemas of the request bodies (fastify validates every body against them before a route
// runs). Each rollout is checked by the library's own rollout check (lib/rollouts.ts), the one
// definition of the schema, so the service and the CLI name the same problems.
import { rewardNames } from '../score';

const options = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: ['sampled', 'full'] },
    beta: { type: 'number', minimum: 0 },
    gateTemperature: { type: 'number', exclusiveMinimum: 0 },
    temperature: { type: 'number', exclusiveMinimum: 0 },
    gamma: { type: 'number', minimum: 0, maximum: 1 },
    beliefMode: { enum: ['prob', 'logprob'] },
    placeholder: { type: 'string', minLength: 1 },
    beliefPrefix: { type: 'string' },
    rewards: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...rewardNames] } },
    pear: {
      type: 'object',
      additionalProperties: false,
      required: ['alpha'],
      properties: { alpha: { type: 'number' }, beta: { type: 'number' }, delimiter: { type: 'string', minLength: 1 } },
    },
  },
} as const;

/** POST /v1/score: { rollouts: [rollout, ...], options?: {...} } (a JSONL body arrives as { rollouts } too). */
export const scoreBody = {
  type: 'object',
  required: ['rollouts'],
  additionalProperties: false,
  properties: { rollouts: { type: 'array', items: { type: 'object' } }, options },
} as const;

/** POST /get_reward: OpenRLHF's { query, prompts?, labels? }. */
export const getRewardBody = {
  type: 'object',
  required: ['query'],
  properties: {
    query: { type: 'array', items: { type: 'string' } },
    prompts: { type: 'array', items: { type: 'string' } },
    labels: { type: 'array', items: { type: ['string', 'null'] } },
  },
} as const;

/** Score options a request may set (the rest are the server's, from its flags). */
export type RequestOptions = Partial<Record<keyof typeof options.properties, unknown>>;
