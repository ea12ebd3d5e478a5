// Agent rollouts of a realistic size for a real tokenizer: a prompt, `turns` turns of an action and
// a tool observation, a ground truth; deterministic text from a seed. With Qwen3's tokenizer, the
// defaults give about 1200 tokens per rollout.
const words = (
  'the flight booking agent asks which city date class passenger seat window aisle meal baggage ' +
  'return departure arrival airport terminal gate price fare refund change cancel loyalty points ' +
  'upgrade business economy premium morning evening connection layover direct nonstop weather ' +
  'visa passport checkin boarding confirmation number email phone payment card receipt total'
).split(' ');

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** `count` rollouts in `groups` groups; `words` per action / observation sets the length. */
export function realisticRollouts({ count = 8, groups = 2, turns = 6, actionWords = 80, observationWords = 100, promptWords = 90, seed = 7 } = {}) {
  const next = rng(seed);
  const text = (n) => Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    group: `g${i % groups}`,
    prompt: `User: ${text(promptWords)}\n`,
    turns: Array.from({ length: turns }, (_, t) => ({
      action: `\nAssistant: ${text(actionWords)}\n`,
      ...(t + 1 < turns ? { observation: `Tool: ${text(observationWords)}` } : {}),
    })),
    reward: Math.round(next() * 100) / 100,
    groundTruth: `BOOK(${text(8)})`,
  }));
}
